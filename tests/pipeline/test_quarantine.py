"""A deliberately bad event goes to quarantine with its reason; the rest of the batch loads."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg2
import pytest

from diplowatch.events.model import Event
from diplowatch.pipeline import extract as pipeline_extract
from diplowatch.warehouse import db, load

TEXT = ("Le président français Emmanuel Macron s'est rendu mardi à Berlin, où il a rencontré le chancelier "
        "allemand Olaf Scholz. Les deux dirigeants ont signé un accord sur la défense.")


REAL_EXTRACTOR = pipeline_extract.extractor


class _AddsOneBadEvent:
    """The real extractor, plus one event that breaks the events suite (an unknown country code and
    a confidence of 1.7) — the kind of row a bug in a rule would produce."""

    def __init__(self) -> None:
        self.real = REAL_EXTRACTOR()

    def extract_many(self, inputs):  # type: ignore[no-untyped-def]
        for events in self.real.extract_many(inputs):
            bad = Event(event_type="SANCTION", source_country="fr", target_country="DEU", status="occurred",
                        sentence="a broken rule", confidence=1.7, lang="fr").finalize("bad")
            yield [*events, bad]


def _insert_article(url: str) -> str:
    art = {"article_id": load.article_id_for(url), "canonical_url": url, "url": url, "source_id": None,
           "title": "Macron à Berlin", "text": TEXT, "published": datetime(2023, 7, 5, tzinfo=UTC), "lang": "fr",
           "content_hash": "h-" + url, "simhash": 1}
    with db.connection() as conn:
        load.upsert_articles(conn, [art])
    return art["article_id"]


def test_bad_event_is_quarantined_and_the_rest_loads(clean_warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_extract, "extractor", lambda: _AddsOneBadEvent())
    article_id = _insert_article("http://127.0.0.1/articles/macron-berlin.html")
    summary = pipeline_extract.process_batch([article_id])
    assert summary.events_quarantined == 1
    assert summary.events_new >= 1
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT entity, reason, expectation, payload->>'source_country' FROM quarantine")
        rows = cur.fetchall()
        assert len(rows) == 1
        entity, reason, expectation, country = rows[0]
        assert entity == "event" and country == "fr"
        assert "confidence" in reason and "1.7" in reason
        assert "source_country" in expectation or "source_country" in reason
        cur.execute("SELECT event_type, source_country, target_country FROM events ORDER BY event_type")
        loaded = cur.fetchall()
        assert loaded and all({r[1], r[2]} == {"FRA", "DEU"} for r in loaded)
        assert all(r[1] != "fr" for r in loaded)
        cur.execute("SELECT success, failed_rows FROM quality_results WHERE suite = 'events'")
        assert cur.fetchall() == [(False, 1)]
        cur.execute("SELECT extract_status FROM articles WHERE article_id = %s", (article_id,))
        assert cur.fetchone()[0] == "done"


def test_reprocess_loads_rows_that_now_pass(clean_warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_extract, "extractor", lambda: _AddsOneBadEvent())
    article_id = _insert_article("http://127.0.0.1/articles/macron-berlin-2.html")
    pipeline_extract.process_batch([article_id])
    # "Fix the data": the operator corrects the quarantined payload, then reprocesses.
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("""UPDATE quarantine SET payload = payload || '{"source_country": "FRA", "confidence": 0.7}'""")
    result = pipeline_extract.reprocess_quarantine()
    assert result["events_loaded"] == 1 and result["events_still_failing"] == 0
    assert pipeline_extract.list_quarantine() == []


def test_rerunning_a_batch_loads_nothing_twice(clean_warehouse: str) -> None:
    article_id = _insert_article("http://127.0.0.1/articles/macron-berlin-3.html")
    first = pipeline_extract.process_batch([article_id])
    assert first.articles == 1
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("UPDATE articles SET processed_at = NULL")  # as if the run died after loading
    again = pipeline_extract.process_batch([article_id])
    assert again.mentions_new == 0 and again.events_new == 0
