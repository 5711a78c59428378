"""Extract events from stored articles in batches: validate, load, mark processed — one transaction a batch.

A batch is a list of article ids. Processing one:
1. the articles still unprocessed among them are read;
2. copies of earlier articles (duplicate_of) are marked `duplicate` and skipped;
3. the articles suite (GX) runs; failing articles go to quarantine;
4. the extractor codes the rest; the events suite runs; failing events go to
   quarantine with the failed expectation, the others load (COPY + upsert);
5. both validation runs are stored in quality_results and as HTML reports;
6. the articles are marked processed.
Steps 2–6 commit together: a process killed mid-batch leaves its articles
unprocessed, to be picked up by the next run, and a rerun loads nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import psycopg2.extras

from diplowatch.events.extract import ArticleInput, Extractor
from diplowatch.events.model import Event
from diplowatch.quality.quarantine import to_quarantine_records
from diplowatch.quality.report import write_report
from diplowatch.quality.validate import validate_rows
from diplowatch.settings import get_settings
from diplowatch.warehouse import db, load

log = logging.getLogger(__name__)
_EXTRACTOR: Extractor | None = None


def extractor() -> Extractor:
    """One extractor per process: models and dictionaries load once and serve every batch."""
    global _EXTRACTOR
    if _EXTRACTOR is None:
        _EXTRACTOR = Extractor(batch_size=get_settings().extract.batch_size)
    return _EXTRACTOR


@dataclass
class BatchSummary:
    articles: int = 0
    duplicates: int = 0
    articles_quarantined: int = 0
    events_extracted: int = 0
    events_quarantined: int = 0
    events_new: int = 0
    mentions_new: int = 0
    merged: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    validation: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "duplicates": self.duplicates,
                "articles_quarantined": self.articles_quarantined, "events_extracted": self.events_extracted,
                "events_quarantined": self.events_quarantined, "events_new": self.events_new,
                "mentions_new": self.mentions_new, "merged": self.merged, "by_type": dict(self.by_type),
                "validation": self.validation, "seconds": round(self.seconds, 2)}


def plan_batches(batch_size: int | None = None, max_articles: int | None = None, db_url: str | None = None) -> list[list[str]]:
    """Unprocessed article ids cut into batches (stable order)."""
    s = get_settings().extract
    batch_size = batch_size or s.articles_per_batch
    max_articles = max_articles or s.articles_per_run
    ids: list[str] = []
    with db.connection(db_url) as conn:
        after = None
        while len(ids) < max_articles:
            rows = load.pending_articles(conn, min(1000, max_articles - len(ids)), after)
            if not rows:
                break
            ids.extend(r["article_id"] for r in rows)
            after = rows[-1]["article_id"]
    return [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]


def _article_dict(row: dict[str, Any]) -> dict[str, Any]:
    published = row.get("published")
    return {"article_id": row["article_id"], "canonical_url": row["canonical_url"], "title": row.get("title"),
            "text": row.get("text"), "published": published.isoformat() if isinstance(published, datetime) else published,
            "lang": row.get("lang"), "content_hash": row.get("content_hash")}


def _published_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def batch_key(article_ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(article_ids)).encode()).hexdigest()[:24]


def process_batch(article_ids: list[str], db_url: str | None = None) -> BatchSummary:
    """Extract, validate and load one batch of articles (see the module docstring)."""
    started = time.perf_counter()
    summary = BatchSummary()
    key = batch_key(article_ids)
    with db.connection(db_url) as conn:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            # Lock the rows: two workers given the same batch do not both load it.
            cur.execute(
                """SELECT article_id, canonical_url, title, text, published, lang, content_hash, duplicate_of
                   FROM articles WHERE article_id = ANY(%s) AND processed_at IS NULL
                   ORDER BY article_id FOR UPDATE SKIP LOCKED""",
                (article_ids,),
            )
            rows = [dict(r) for r in cur.fetchall()]
        summary.articles = len(rows)
        statuses: dict[str, str] = {}
        originals = []
        for r in rows:
            if r["duplicate_of"]:
                statuses[r["article_id"]] = "duplicate"
                summary.duplicates += 1
            else:
                originals.append(r)
        # Articles suite.
        art_outcome = validate_rows("articles", [_article_dict(r) for r in originals], batch_key=key)
        good_ids = {a["article_id"] for a in art_outcome.good}
        if art_outcome.bad:
            load.quarantine_rows(conn, to_quarantine_records("articles", art_outcome.bad,
                                                             art_outcome.result["run_id"], "article"))
            for b in art_outcome.bad:
                statuses[b.row["article_id"]] = "quarantined"
            summary.articles_quarantined = len(art_outcome.bad)
        # Extraction.
        todo = [r for r in originals if r["article_id"] in good_ids]
        pairs: list[tuple[str, Event]] = []
        inputs = (ArticleInput(text=r["text"], published=_published_date(r["published"]),
                               lang=r["lang"] if r["lang"] in ("en", "fr") else None,
                               key=r["article_id"], url=r["canonical_url"]) for r in todo)
        for r, events in zip(todo, extractor().extract_many(inputs), strict=True):
            for ev in events:
                pairs.append((r["article_id"], ev))
            statuses[r["article_id"]] = "done"
        summary.events_extracted = len(pairs)
        # Events suite.
        records = []
        for article_id, ev in pairs:
            rec = ev.to_record()
            rec["article_id"] = article_id
            records.append(rec)
        ev_outcome = validate_rows("events", records, batch_key=key)
        if ev_outcome.bad:
            load.quarantine_rows(conn, to_quarantine_records("events", ev_outcome.bad,
                                                             ev_outcome.result["run_id"], "event"))
            summary.events_quarantined = len(ev_outcome.bad)
        good_event_ids = {r["event_id"] for r in ev_outcome.good}
        to_load = [(a, e) for a, e in pairs if e.event_id in good_event_ids]
        result = load.load_events(conn, to_load, window_days=get_settings().extract.dedup_window_days)
        summary.events_new, summary.mentions_new, summary.merged = result.events_new, result.mentions_new, result.events_merged
        summary.by_type.update(e.event_type for _, e in to_load)
        for outcome, bad in ((art_outcome, art_outcome.bad), (ev_outcome, ev_outcome.bad)):
            if outcome.result.get("evaluated_rows"):
                try:
                    write_report(outcome.result, bad)
                except OSError as exc:  # a report is a convenience; the stored result is the record
                    log.warning("could not write the quality report: %s", exc)
                load.record_quality_result(conn, outcome.result)
                summary.validation.append(
                    f"{outcome.result['suite']}: {'passed' if outcome.result['success'] else 'FAILED'} "
                    f"({outcome.result['evaluated_rows'] - outcome.result['failed_rows']}/"
                    f"{outcome.result['evaluated_rows']} rows passed)")
        load.mark_processed(conn, statuses)
    summary.seconds = time.perf_counter() - started
    return summary


def list_quarantine(limit: int = 100, db_url: str | None = None) -> list[dict[str, Any]]:
    with db.connection(db_url) as conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(
            """SELECT quarantine_id, entity, entity_id, article_id, suite, expectation, reason, created_at
               FROM quarantine WHERE resolved_at IS NULL ORDER BY quarantine_id LIMIT %s""",
            (limit,),
        )
        return [dict(r) for r in cur.fetchall()]


def reprocess_quarantine(db_url: str | None = None) -> dict[str, int]:
    """Give quarantined rows another chance once a rule or the data is fixed.

    Quarantined articles are marked unprocessed again (the next event_extract
    run extracts them afresh); quarantined events are validated again and
    loaded when they now pass. Rows that pass are marked resolved.
    """
    from diplowatch.events.model import RECORD_FIELDS

    released_articles = loaded = still_bad = 0
    with db.connection(db_url) as conn:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(
                """UPDATE articles a SET processed_at = NULL, extract_status = NULL
                   FROM quarantine q WHERE q.entity = 'article' AND q.resolved_at IS NULL
                     AND q.entity_id = a.article_id RETURNING a.article_id"""
            )
            released_articles = cur.rowcount
            cur.execute("UPDATE quarantine SET resolved_at = now() WHERE entity = 'article' AND resolved_at IS NULL")
            cur.execute("SELECT quarantine_id, payload FROM quarantine WHERE entity = 'event' AND resolved_at IS NULL")
            rows = cur.fetchall()
        if rows:
            payloads = [dict(r["payload"]) for r in rows]
            outcome = validate_rows("events", payloads, batch_key="reprocess:" + batch_key([str(r["quarantine_id"]) for r in rows]))
            good = outcome.good
            pairs = []
            for rec in good:
                fields: dict[str, Any] = {k: rec.get(k) for k in RECORD_FIELDS if k in rec}
                ev = Event(**fields)
                pairs.append((rec.get("article_id"), ev))
            result = load.load_events(conn, pairs, window_days=get_settings().extract.dedup_window_days)
            loaded = result.mentions_new
            good_ids = [r["event_id"] for r in good]
            with conn.cursor() as cur:
                cur.execute(
                    "UPDATE quarantine SET resolved_at = now() WHERE entity = 'event' AND resolved_at IS NULL "
                    "AND entity_id = ANY(%s)",
                    (good_ids,),
                )
            still_bad = len(outcome.bad)
            load.record_quality_result(conn, outcome.result)
    return {"articles_released": released_articles, "events_loaded": loaded, "events_still_failing": still_bad}
