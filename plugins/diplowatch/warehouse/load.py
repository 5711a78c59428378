"""Idempotent loads into the warehouse: COPY into a staging table, then one set-based upsert.

Every function takes an open psycopg2 connection and does not commit: the
caller decides the transaction, so that a batch (events, mentions, quarantine
rows, the articles marked processed) lands whole or not at all.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg2.extensions
import psycopg2.extras

from diplowatch.events.model import Event
from diplowatch.events.taxonomy import is_symmetric
from diplowatch.warehouse.copy import copy_rows

# --------------------------------------------------------------------- articles

ARTICLE_COLUMNS = (
    "article_id", "canonical_url", "url", "source_id", "title", "text", "published", "lang",
    "content_hash", "simhash", "duplicate_of", "raw_path", "processed_at", "extract_status",
)


def article_id_for(canonical_url: str) -> str:
    """Deterministic article id: the first 32 hex digits of sha256(canonical URL)."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


def upsert_articles(conn: psycopg2.extensions.connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert articles not stored yet (by canonical URL); returns how many were new."""
    if not rows:
        return 0
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage_articles (LIKE articles INCLUDING DEFAULTS)"
            " ON COMMIT DELETE ROWS"
        )
        copy_rows(cur, "stage_articles", ARTICLE_COLUMNS, ([r.get(c) for c in ARTICLE_COLUMNS] for r in rows))
        cols = ", ".join(ARTICLE_COLUMNS)
        cur.execute(
            f"""INSERT INTO articles ({cols})
                SELECT DISTINCT ON (canonical_url) {cols} FROM stage_articles ORDER BY canonical_url
                ON CONFLICT DO NOTHING"""
        )
        inserted = cur.rowcount
        cur.execute("TRUNCATE stage_articles")
    return inserted


def known_urls(conn: psycopg2.extensions.connection, canonical_urls: Iterable[str]) -> set[str]:
    urls = list(set(canonical_urls))
    if not urls:
        return set()
    with conn.cursor() as cur:
        cur.execute("SELECT canonical_url FROM articles WHERE canonical_url = ANY(%s)", (urls,))
        return {r[0] for r in cur.fetchall()}


def find_by_content_hash(conn: psycopg2.extensions.connection, hashes: Iterable[str]) -> dict[str, str]:
    hs = list(set(hashes))
    if not hs:
        return {}
    with conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT ON (content_hash) content_hash, article_id FROM articles "
            "WHERE content_hash = ANY(%s) ORDER BY content_hash, fetched_at, article_id",
            (hs,),
        )
        return dict(cur.fetchall())


def recent_simhashes(conn: psycopg2.extensions.connection, days: int = 14) -> list[tuple[str, int]]:
    """(article_id, simhash) of original articles fetched in the last `days`, for near-duplicate checks."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT article_id, simhash FROM articles WHERE simhash IS NOT NULL AND duplicate_of IS NULL "
            "AND fetched_at > now() - make_interval(days => %s)",
            (days,),
        )
        return [(a, int(s)) for a, s in cur.fetchall()]


def pending_articles(
    conn: psycopg2.extensions.connection, limit: int, after_id: str | None = None
) -> list[dict[str, Any]]:
    """Articles waiting for extraction, oldest first, in a stable order (for batching)."""
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(
            """SELECT article_id, canonical_url, title, text, published, lang, duplicate_of
               FROM articles
               WHERE processed_at IS NULL AND (%s::text IS NULL OR article_id > %s)
               ORDER BY article_id
               LIMIT %s""",
            (after_id, after_id, limit),
        )
        return [dict(r) for r in cur.fetchall()]


def mark_processed(conn: psycopg2.extensions.connection, statuses: dict[str, str]) -> None:
    """Set processed_at and extract_status for the given article ids, in one statement."""
    if not statuses:
        return
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """UPDATE articles a SET processed_at = now(), extract_status = v.status
               FROM (VALUES %s) AS v(article_id, status) WHERE a.article_id = v.article_id""",
            list(statuses.items()),
        )


# ----------------------------------------------------------------------- events

EVENT_COLUMNS = (
    "event_id", "event_type", "cameo_code", "plover_type", "plover_mode",
    "source_actor", "target_actor", "source_country", "target_country", "source_role", "target_role",
    "location", "location_country", "event_date", "date_precision", "event_day", "status", "context",
    "attributed_to", "sentence", "lang", "confidence", "article_id", "article_url", "published",
    "match_from", "match_to", "dyad_key",
)
STAGE_COLUMNS = (*EVENT_COLUMNS, "mention_id", "cluster_id", "is_symmetric")
LOAD_LOCK_KEY = 7318_2025  # pg_advisory_xact_lock key serialising event loads


@dataclass(frozen=True)
class LoadResult:
    mentions_new: int
    events_new: int
    events_merged: int  # new mentions attached to an event that already existed


def _first_day(event_date: str | None) -> date | None:
    if not event_date:
        return None
    try:
        parts = [int(p) for p in event_date.split("-")]
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


def match_window(event: Event, window_days: int, fallback: date) -> tuple[date, date]:
    """The dates within which another report of the same type and dyad is the same event.

    Day precision: the day ± window_days; month or year precision: that month or
    year; no date: the publication day ± window_days.
    """
    first = _first_day(event.event_date)
    if first and event.date_precision == "month":
        last = calendar.monthrange(first.year, first.month)[1]
        return first, first.replace(day=last)
    if first and event.date_precision == "year":
        return first, date(first.year, 12, 31)
    anchor = first or _first_day((event.published or "")[:10]) or fallback
    return anchor - timedelta(days=window_days), anchor + timedelta(days=window_days)


def _dyad(e: Event) -> tuple[str, str]:
    a, b = e.source_country or "", e.target_country or ""
    if is_symmetric(e.event_type) and b < a:
        a, b = b, a
    return a, b


def _cluster(items: list[tuple[Event, date, date]]) -> list[str]:
    """Cluster id per item: within the batch, same type and dyad with overlapping windows.

    The cluster takes the event id of its first member in (article, offset) order,
    so that the same batch always yields the same ids.
    """
    order = sorted(range(len(items)), key=lambda i: items[i][0].event_id)
    clusters: dict[tuple[str, str, str], list[tuple[date, date, str]]] = {}
    result = [""] * len(items)
    for i in order:
        e, lo, hi = items[i]
        key = (e.event_type, *_dyad(e))
        for c_lo, c_hi, cid in clusters.get(key, []):
            if lo <= c_hi and c_lo <= hi:
                result[i] = cid
                break
        else:
            clusters.setdefault(key, []).append((lo, hi, e.event_id))
            result[i] = e.event_id
    return result


def load_events(
    conn: psycopg2.extensions.connection,
    events: Sequence[tuple[str | None, Event]],
    window_days: int = 3,
    today: date | None = None,
) -> LoadResult:
    """Load (article_id, event) pairs as mentions, merging reports of one real-world event.

    Idempotent: a mention already loaded (same mention id) is skipped, so a
    rerun adds nothing. A new mention joins an existing event of the same type
    and dyad whose date window overlaps its own, else it founds a new event
    whose id is its own mention id.
    """
    if not events:
        return LoadResult(0, 0, 0)
    today = today or date.today()
    windows = [(e, *match_window(e, window_days, today)) for _, e in events]
    clusters = _cluster(windows)
    rows = []
    for (article_id, e), (_, lo, hi), cid in zip(events, windows, clusters, strict=True):
        rec = e.to_record()
        rec.update(article_id=article_id, event_day=_first_day(e.event_date), match_from=lo, match_to=hi,
                   dyad_key="|".join(_dyad(e)))
        rows.append([rec.get(c) for c in EVENT_COLUMNS] + [e.event_id, cid, is_symmetric(e.event_type)])

    cols = ", ".join(EVENT_COLUMNS)
    with conn.cursor() as cur:
        # One loader at a time matches and inserts (until this transaction ends): two batches
        # reporting the same new event at once must not both create it.
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOAD_LOCK_KEY,))
        cur.execute(
            """CREATE TEMP TABLE IF NOT EXISTS stage_events (
                   LIKE events INCLUDING DEFAULTS,
                   mention_id text, cluster_id text, is_symmetric boolean, target_event text
               ) ON COMMIT DELETE ROWS"""
        )
        copy_rows(cur, "stage_events", STAGE_COLUMNS, rows)
        # 1. Mentions loaded before (a rerun) are done already.
        cur.execute("DELETE FROM stage_events s USING event_mentions m WHERE m.mention_id = s.mention_id")
        # 2. Each cluster looks for an existing event of the same type and dyad with an overlapping window.
        cur.execute(
            """WITH reps AS (
                   SELECT DISTINCT ON (cluster_id) * FROM stage_events ORDER BY cluster_id, mention_id
               ), matched AS (
                   SELECT r.cluster_id, m.event_id
                   FROM reps r
                   CROSS JOIN LATERAL (
                       SELECT e.event_id FROM events e
                       WHERE e.event_type = r.event_type AND e.dyad_key = r.dyad_key
                         AND e.match_from <= r.match_to AND r.match_from <= e.match_to
                       ORDER BY abs(e.match_from - r.match_from), e.event_id
                       LIMIT 1
                   ) m
               )
               UPDATE stage_events s SET target_event = matched.event_id
               FROM matched WHERE s.cluster_id = matched.cluster_id"""
        )
        merged = cur.rowcount
        # 3. Clusters with no existing event found one, under their first member's id; its
        #    mention_count is the cluster's size (no count over event_mentions needed).
        cur.execute(
            f"""INSERT INTO events ({cols}, mention_count)
                SELECT {cols}, n FROM (
                    SELECT DISTINCT ON (cluster_id) {cols},
                           count(*) OVER (PARTITION BY cluster_id) AS n
                    FROM stage_events WHERE target_event IS NULL ORDER BY cluster_id, mention_id
                ) AS founders
                ON CONFLICT (event_id) DO NOTHING"""
        )
        events_new = cur.rowcount
        # 4. Every staged row is a mention of its event.
        cur.execute(
            """INSERT INTO event_mentions
                   (mention_id, event_id, article_id, status, event_date, attributed_to, sentence, confidence)
               SELECT DISTINCT ON (mention_id) mention_id, coalesce(target_event, cluster_id), article_id, status,
                      event_date, attributed_to, sentence, confidence
               FROM stage_events ORDER BY mention_id
               ON CONFLICT (mention_id) DO NOTHING"""
        )
        mentions_new = cur.rowcount
        # 5. Events that already existed count their new mentions.
        cur.execute(
            """UPDATE events e SET mention_count = e.mention_count + c.n
               FROM (SELECT target_event, count(DISTINCT mention_id) AS n FROM stage_events
                     WHERE target_event IS NOT NULL GROUP BY target_event) c
               WHERE e.event_id = c.target_event"""
        )
        cur.execute("TRUNCATE stage_events")
    return LoadResult(mentions_new=mentions_new, events_new=events_new, events_merged=merged)


# ------------------------------------------------------------ quality, errors, sources


def record_quality_result(conn: psycopg2.extensions.connection, result: dict[str, Any]) -> None:
    """Store one validation run (idempotent on run_id)."""
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO quality_results (run_id, suite, batch_key, success, evaluated_rows, failed_rows,
                                            statistics, failed_expectations, report_path)
               VALUES (%(run_id)s, %(suite)s, %(batch_key)s, %(success)s, %(evaluated_rows)s, %(failed_rows)s,
                       %(statistics)s, %(failed_expectations)s, %(report_path)s)
               ON CONFLICT (run_id) DO UPDATE SET success = EXCLUDED.success,
                   evaluated_rows = EXCLUDED.evaluated_rows, failed_rows = EXCLUDED.failed_rows,
                   statistics = EXCLUDED.statistics, failed_expectations = EXCLUDED.failed_expectations,
                   report_path = EXCLUDED.report_path""",
            {
                **result,
                "statistics": psycopg2.extras.Json(result["statistics"]),
                "failed_expectations": psycopg2.extras.Json(result["failed_expectations"]),
            },
        )


def quarantine_rows(conn: psycopg2.extensions.connection, rows: Sequence[dict[str, Any]]) -> int:
    """Put rows that failed validation aside with their reason (one row per entity, updated on retry)."""
    if not rows:
        return 0
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO quarantine (entity, entity_id, article_id, suite, expectation, reason, payload, run_id)
               VALUES %s
               ON CONFLICT (entity, entity_id) DO UPDATE SET expectation = EXCLUDED.expectation,
                   reason = EXCLUDED.reason, payload = EXCLUDED.payload, run_id = EXCLUDED.run_id,
                   resolved_at = NULL""",
            [
                (
                    r["entity"], r["entity_id"], r.get("article_id"), r["suite"], r["expectation"],
                    r["reason"], psycopg2.extras.Json(r["payload"], dumps=_json_dumps), r.get("run_id"),
                )
                for r in rows
            ],
        )
        return len(rows)


def _json_dumps(obj: Any) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, default=str).replace("\\u0000", "")


def record_fetch_errors(conn: psycopg2.extensions.connection, run_key: str, errors: Sequence[dict]) -> None:
    if not errors:
        return
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO fetch_errors (run_key, source_id, url, stage, error, attempts) VALUES %s
               ON CONFLICT (run_key, url, stage) DO UPDATE SET error = EXCLUDED.error,
                   attempts = EXCLUDED.attempts""",
            [
                (run_key, e.get("source_id"), e["url"], e["stage"], e["error"], e.get("attempts") or 1)
                for e in errors
            ],
        )


def upsert_sources(conn: psycopg2.extensions.connection, sources: Iterable[tuple[str, str, str, str | None]]) -> None:
    """Register (source_id, url, kind, lang) rows; existing rows keep their fetch state."""
    rows = list(sources)
    if not rows:
        return
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO sources (source_id, url, kind, lang) VALUES %s
               ON CONFLICT (source_id) DO UPDATE SET url = EXCLUDED.url, kind = EXCLUDED.kind,
                   lang = EXCLUDED.lang, updated_at = now()""",
            rows,
        )


def source_state(conn: psycopg2.extensions.connection, source_id: str) -> dict[str, Any]:
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(
            "SELECT url, etag, last_modified, consecutive_failures FROM sources WHERE source_id = %s",
            (source_id,),
        )
        row = cur.fetchone()
        return dict(row) if row else {}


def save_source_state(
    conn: psycopg2.extensions.connection,
    source_id: str,
    *,
    ok: bool,
    status: int | None,
    etag: str | None,
    last_modified: str | None,
    error: str | None,
) -> None:
    """After a feed fetch: keep validators for the next conditional GET; count failures in a row."""
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE sources SET
                   etag = CASE WHEN %(ok)s THEN coalesce(%(etag)s, etag) ELSE etag END,
                   last_modified = CASE WHEN %(ok)s THEN coalesce(%(lm)s, last_modified) ELSE last_modified END,
                   last_fetched_at = now(), last_status = %(status)s, last_error = %(error)s,
                   consecutive_failures = CASE WHEN %(ok)s THEN 0 ELSE consecutive_failures + 1 END,
                   updated_at = now()
               WHERE source_id = %(sid)s""",
            {"ok": ok, "etag": etag, "lm": last_modified, "status": status, "error": error, "sid": source_id},
        )
