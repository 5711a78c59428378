"""Quarantine is complete: every row that fails validation is in `quarantine` with its reason, none
is loaded and none is lost, and `diplowatch quarantine reprocess` (the documented command) brings
the fixed ones back exactly once. Real GX validation, real PostgreSQL, the real CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import psycopg2
import pytest

from diplowatch.events.model import Event
from diplowatch.pipeline import extract as pipeline_extract
from diplowatch.warehouse import db, load
from tests.reliability.conftest import REPO, counts, no_duplicates
from tests.reliability.warehouse_faults import article_rows

REAL_EXTRACTOR = pipeline_extract.extractor
BAD_EVENTS = 3


class _PlusBadEvents:
    """The real extractor, plus three events a buggy rule could produce, on the first article only."""

    def __init__(self) -> None:
        self.real = REAL_EXTRACTOR()

    def extract_many(self, inputs):  # type: ignore[no-untyped-def]
        for n, events in enumerate(self.real.extract_many(inputs)):
            extra = []
            if n == 0:
                extra = [
                    Event(event_type="SANCTION", source_country="fr", target_country="DEU", status="occurred",
                          sentence="lower-case country", confidence=0.6, lang="fr").finalize("bad-1"),
                    Event(event_type="MEET", source_country="FRA", target_country="DEU", status="occurred",
                          sentence="confidence out of range", confidence=1.7, lang="fr").finalize("bad-2"),
                    Event(event_type="VISIT", source_country="FRA", target_country="FRA", status="rumoured",
                          sentence="visits itself, unknown status", confidence=0.5, lang="fr").finalize("bad-3"),
                ]
            yield [*events, *extra]


def _bad_articles() -> list[dict[str, Any]]:
    base = article_rows(4, start=500)
    base[0].update(text="", content_hash="h-empty")  # no text
    base[1].update(lang="english")  # not an ISO 639 code
    base[2].update(published=datetime(1901, 1, 1, tzinfo=UTC))  # implausible date
    base[3].update(canonical_url="ftp://127.0.0.1/x", article_id=load.article_id_for("ftp://127.0.0.1/x"))
    return base


def _quarantine(url: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT entity, entity_id, suite, expectation, reason, payload, resolved_at IS NOT NULL "
                    "FROM quarantine ORDER BY entity, entity_id")
        rows = cur.fetchall()
    conn.close()
    return rows


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "diplowatch.cli", *args], capture_output=True, text=True,
                          timeout=180, cwd=REPO, env={**os.environ})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_every_failed_row_is_quarantined_and_reprocess_brings_it_back(
    clean_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = clean_warehouse
    good = article_rows(3)
    bad = _bad_articles()
    with db.connection(url) as conn:
        load.upsert_articles(conn, good + bad)
    monkeypatch.setattr(pipeline_extract, "extractor", lambda: _PlusBadEvents())
    ids = sorted(r["article_id"] for r in good + bad)
    summary = pipeline_extract.process_batch(ids, db_url=url)
    assert summary.articles_quarantined == 4 and summary.events_quarantined == BAD_EVENTS

    # Every failure is on record, with its reason and the whole row; nothing failing was loaded.
    q = _quarantine(url)
    assert sorted(r[1] for r in q if r[0] == "article") == sorted(r["article_id"] for r in bad)
    assert len([r for r in q if r[0] == "event"]) == BAD_EVENTS
    assert all(r[3] and r[4] and r[5] and not r[6] for r in q)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT suite, sum(failed_rows) FROM quality_results GROUP BY suite ORDER BY suite")
        assert cur.fetchall() == [("articles", 4), ("events", BAD_EVENTS)]
        cur.execute("SELECT count(*) FROM events WHERE source_country = 'fr' OR confidence > 1 OR status = 'rumoured'")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT extract_status, count(*) FROM articles GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("done", 3), ("quarantined", 4)]
        cur.execute("SELECT count(*) FROM event_mentions m JOIN articles a USING (article_id) "
                    "WHERE a.extract_status = 'quarantined'")
        assert cur.fetchone()[0] == 0
    conn.close()
    listed = pipeline_extract.list_quarantine(db_url=url)  # what `diplowatch quarantine list` prints
    assert len(listed) == 4 + BAD_EVENTS and all(r["reason"] for r in listed)
    loaded_before = counts(url)

    # The operator fixes the data: two articles and two events (the third event stays wrong).
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE articles SET lang = 'en' WHERE lang = 'english'")
        cur.execute("UPDATE articles SET published = '2024-03-01' WHERE published < '1990-01-01'")
        cur.execute("""UPDATE quarantine SET payload = payload || '{"source_country": "FRA"}'
                       WHERE payload->>'source_country' = 'fr'""")
        cur.execute("""UPDATE quarantine SET payload = payload || '{"confidence": 0.7}'
                       WHERE (payload->>'confidence')::float > 1""")
    conn.close()
    result = json.loads(_cli("quarantine", "reprocess").stdout.strip().splitlines()[-1])
    assert result == {"articles_released": 4, "events_loaded": 2, "events_still_failing": 1}
    # The released articles go through the next extraction (the real extractor this time).
    monkeypatch.setattr(pipeline_extract, "extractor", REAL_EXTRACTOR)
    for batch in pipeline_extract.plan_batches(db_url=url):
        pipeline_extract.process_batch(batch, db_url=url)
    after = counts(url)
    assert after["event_mentions"] >= loaded_before["event_mentions"] + 2 + 2  # 2 events + 2 fixed articles
    q = {(r[0], r[1]): r for r in _quarantine(url)}
    unresolved = sorted((e, r[4][:40]) for (e, _), r in q.items() if not r[6])
    # Still failing, still on record: the empty article, the ftp URL, the event that visits itself.
    assert [e for e, _ in unresolved] == ["article", "article", "event"], unresolved
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE processed_at IS NULL")
        assert cur.fetchone()[0] == 0
    conn.close()
    # Reprocessing again brings nothing twice.
    settled = counts(url)
    result = pipeline_extract.reprocess_quarantine(db_url=url)  # the function behind the command
    assert result["events_loaded"] == 0
    for batch in pipeline_extract.plan_batches(db_url=url):
        pipeline_extract.process_batch(batch, db_url=url)
    final = counts(url)
    for key in ("articles", "events", "event_mentions", "article_ids", "event_ids", "mention_ids", "quarantine"):
        assert final[key] == settled[key], key
    no_duplicates(url)
