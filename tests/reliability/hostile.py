"""Running hostile inputs through the real ingest path and checking where each one ended.

Links inside hostile feeds point at `hostile.test:<port>`, which the tests' resolver maps to
127.0.0.1 and the settings allow-list; every other name fails to resolve without any DNS query,
and 127.0.0.1 itself is not allow-listed for links, so a mutated link can reach nothing but the
test server. The feed and page URLs themselves are operator URLs on 127.0.0.1.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from typing import Any

import psycopg2

from diplowatch.fetch import guard
from diplowatch.parse.errors import ParseError
from diplowatch.parse.feeds import parse_feed
from diplowatch.pipeline.ingest import IngestSummary, ingest_source
from diplowatch.settings import Settings
from diplowatch.sources.config import Source
from tests.reliability.conftest import fast_settings

HOST = "hostile.test"
CASE_SECONDS = 20  # a case taking longer counts as a hang


def fake_resolver(host: str, port: int) -> list[str]:
    if host == HOST:
        return ["127.0.0.1"]
    literal = guard.ip_literal(host)
    if literal is not None:
        return [str(literal)]
    raise OSError(f"[test] no DNS for {host}")


def hostile_settings(**ingest: Any) -> Settings:
    s = fast_settings(**{"max_articles_per_source": 5, **ingest})
    return replace(s, http=replace(s.http, allow_hosts=(HOST,)))


def _one(url: str, query: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        rows = cur.fetchall()
    conn.close()
    return rows


def run_case(db_url: str, source: Source, body: bytes | None, content_type: str | None,
             settings: Settings, tally: Counter[str], group: str) -> tuple[str, IngestSummary]:
    """Ingest one hostile source; check it ended as stored rows, a recorded error or an empty feed.

    `body`/`content_type`: what the server sends (for the offline cross-check of feed entries),
    or None when the body is not known up front (streamed, redirected).
    Returns (outcome, summary); raises AssertionError with the case's name otherwise.
    """
    started = time.monotonic()
    summary = ingest_source(source, f"hostile-{source.name}", settings, db_url)  # must not raise
    took = time.monotonic() - started
    assert took < CASE_SECONDS, f"{source.name}: took {took:.1f}s"
    errors = _one(db_url, "SELECT url, stage, error FROM fetch_errors WHERE source_id = %s", (source.name,))
    state = _one(db_url, "SELECT last_status, last_error, last_fetched_at FROM sources WHERE source_id = %s",
                 (source.name,))
    assert len(errors) == len(summary.errors), (source.name, errors, summary.errors)
    assert all(e[2] and "\n" not in e[2] for e in errors), errors
    if summary.feed_status == "failed":
        assert any(e[1] == "feed" for e in errors), (source.name, errors)
        if source.kind == "feed":
            assert state and state[0][1], (source.name, state)  # sources.last_error says why
        outcome = "error"
    elif summary.new or summary.already_known or summary.duplicates or summary.fetched:
        outcome = "stored" if summary.new or summary.already_known or summary.duplicates else "error"
    elif summary.errors:
        outcome = "error"
    else:
        outcome = "empty"
        if source.kind == "feed":
            assert state and state[0][2] is not None  # the poll is on record
    if body is not None and source.kind == "feed" and summary.feed_status == "ok":
        _every_entry_accounted_for(db_url, source, body, content_type, settings, errors)
    if source.kind == "page" and outcome != "error":
        assert summary.new + summary.already_known + summary.duplicates >= 1
    tally[f"{group}:{outcome}"] += 1
    return outcome, summary


def _every_entry_accounted_for(db_url: str, source: Source, body: bytes, content_type: str | None,
                               settings: Settings, errors: list[tuple[Any, ...]]) -> None:
    """Each entry of the feed (as parsed offline) is an article now, or has its error on record."""
    try:
        entries = parse_feed(body, source.url, content_type, max_entries=settings.ingest.max_feed_entries).entries
    except ParseError:
        return
    urls = list(dict.fromkeys(e.url for e in entries))[: settings.ingest.max_articles_per_source]
    if not urls:
        return
    stored = {r[0] for r in _one(db_url, "SELECT canonical_url FROM articles WHERE canonical_url = ANY(%s) "
                                 "OR url = ANY(%s)", (urls, urls))}
    failed = {e[0] for e in errors}
    missing = [u for u in urls if u not in stored and u not in failed]
    assert not missing, (source.name, missing)
