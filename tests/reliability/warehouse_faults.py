"""Helpers for the warehouse faults: articles to extract from, a reference run, a backend killer."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2

from diplowatch.pipeline import extract as pipeline_extract
from diplowatch.warehouse import db, load
from tests.reliability.conftest import counts
from tests.reliability.localnet import COUNTRY_PAIRS, FILLER

EXTRACTION_TABLES = ("events", "event_mentions", "quality_results", "quarantine")


def article_rows(n: int, *, start: int = 0, text_padding: int = 0, source_id: str | None = None) -> list[dict[str, Any]]:
    """n stored-article rows, each with one or two diplomatic events in its text."""
    rows = []
    for i in range(start, start + n):
        a, b, city = COUNTRY_PAIRS[i % len(COUNTRY_PAIRS)]
        url = f"http://127.0.0.1/articles/{i}"
        text = (f"{a} met {b} in {city} on Tuesday, officials said in statement {i}.\n{FILLER}\n"
                + ("x" * text_padding))
        rows.append({
            "article_id": load.article_id_for(url), "canonical_url": url, "url": url, "source_id": source_id,
            "title": f"Meeting {i}", "text": text, "published": datetime(2024, 3, 1, tzinfo=UTC) + timedelta(days=i % 200),
            "lang": "en", "content_hash": f"hash-{i}", "simhash": i, "duplicate_of": None, "raw_path": None,
        })
    return rows


def seed_articles(url: str, n: int, **kw: Any) -> list[str]:
    rows = article_rows(n, **kw)
    with db.connection(url) as conn:
        load.upsert_articles(conn, rows)
    return sorted(r["article_id"] for r in rows)


def reset_extraction(url: str) -> None:
    """Forget every extraction result and mark every article unprocessed again."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE event_mentions, events, quality_results, quarantine")
        cur.execute("UPDATE articles SET processed_at = NULL, extract_status = NULL")
    conn.close()


def extraction_state(url: str) -> dict[str, Any]:
    """What an extraction leaves: counts and ids, plus each article's status."""
    state = counts(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT article_id, extract_status, processed_at IS NOT NULL FROM articles ORDER BY 1")
        state["article_status"] = cur.fetchall()
        cur.execute("SELECT event_id, event_type, source_country, target_country, event_date, mention_count "
                    "FROM events ORDER BY 1")
        state["events_rows"] = cur.fetchall()
    conn.close()
    return state


def reference_extraction(url: str, ids: list[str]) -> dict[str, Any]:
    """Extract `ids` once with no fault, take the state, and reset so that the fault run starts alike."""
    pipeline_extract.process_batch(ids, db_url=url)
    state = extraction_state(url)
    assert state["events"] > 0
    reset_extraction(url)
    return state


class BackendKiller(threading.Thread):
    """Terminates the first backend of `application_name` whose running query matches `like`
    (pg_terminate_backend: the server ends the session, as a crash or a network cut would)."""

    def __init__(self, url: str, like: str, application_name: str = "diplowatch", timeout: float = 60) -> None:
        super().__init__(daemon=True)
        self.url, self.like, self.app, self.timeout = url, like, application_name, timeout
        self.killed: list[str] = []
        self.ready = threading.Event()

    def run(self) -> None:
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        deadline = time.monotonic() + self.timeout
        try:
            with conn.cursor() as cur:
                self.ready.set()
                while time.monotonic() < deadline:
                    cur.execute(
                        """SELECT pid, left(query, 60) FROM pg_stat_activity
                           WHERE datname = current_database() AND application_name = %s AND state = 'active'
                             AND query ILIKE %s AND pid <> pg_backend_pid()""",
                        (self.app, self.like),
                    )
                    found = cur.fetchall()
                    if found:
                        cur.execute("SELECT pg_terminate_backend(%s)", (found[0][0],))
                        self.killed.append(found[0][1])
                        return
                    time.sleep(0.002)
        finally:
            conn.close()


def wait_for_row_locks(url: str, timeout: float = 120, alive: Any = None) -> int:
    """Wait until some session holds row locks on articles (a worker inside process_batch); its pid."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    deadline = time.monotonic() + timeout
    try:
        with conn.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute(
                    """SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                       WHERE a.datname = current_database() AND l.relation = 'articles'::regclass
                         AND l.mode = 'RowShareLock' AND l.pid <> pg_backend_pid()"""
                )
                row = cur.fetchone()
                if row:
                    return int(row[0])
                if alive is not None and not alive():
                    raise AssertionError("the worker ended before it locked its batch")
                time.sleep(0.02)
    finally:
        conn.close()
    raise AssertionError("no worker locked the batch in time")


def wait_backend_gone(url: str, pid: int, timeout: float = 30) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    deadline = time.monotonic() + timeout
    try:
        with conn.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
                if cur.fetchone()[0] == 0:
                    return
                time.sleep(0.05)
    finally:
        conn.close()
    raise AssertionError(f"backend {pid} still there")
