"""Ingest one source: fetch its feed, fetch the article pages not seen before, parse, store.

Errors are data: a failed feed or page becomes a fetch_errors row (and a line in
the task log) and the run goes on. Everything a source yields in one run is
written in one transaction, so a crash leaves either all of it or none.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from diplowatch.fetch.archive import RawArchive
from diplowatch.fetch.http import FetchRequest, FetchResult, HttpClient
from diplowatch.parse.articles import ParsedArticle, parse_article
from diplowatch.parse.dedup import NEAR_DUPLICATE_BITS, hamming
from diplowatch.parse.errors import FeedError, ParseError
from diplowatch.parse.feeds import FeedEntry, discover_feeds, parse_feed
from diplowatch.settings import Settings, get_settings
from diplowatch.sources.config import Source
from diplowatch.warehouse import db, load

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    source: str
    feed_status: str = "ok"  # ok | not_modified | failed
    entries: int = 0
    fetched: int = 0
    new: int = 0
    already_known: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.source}: feed {self.feed_status}, {self.entries} entries, {self.already_known} known, "
                f"{self.fetched} pages fetched, {self.new} new articles, {self.duplicates} duplicates, "
                f"{len(self.errors)} errors ({self.seconds:.1f}s)")

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "feed_status": self.feed_status, "entries": self.entries,
                "fetched": self.fetched, "new": self.new, "already_known": self.already_known,
                "duplicates": self.duplicates, "errors": len(self.errors), "seconds": round(self.seconds, 2)}


def _client(settings: Settings) -> HttpClient:
    archive = RawArchive(settings.archive_dir) if settings.ingest.archive_raw else None
    return HttpClient(settings.http, archive=archive)


def _error(source: str | None, url: str, stage: str, message: str, attempts: int = 1) -> dict[str, Any]:
    return {"source_id": source, "url": url, "stage": stage, "error": message[:500], "attempts": attempts}


def _article_row(source: Source, art: ParsedArticle, entry: FeedEntry | None, res: FetchResult) -> dict[str, Any]:
    published: datetime | None = None
    if art.published:
        published = datetime(art.published.year, art.published.month, art.published.day, tzinfo=UTC)
    elif entry and entry.published:
        published = entry.published
    return {
        "article_id": load.article_id_for(art.canonical_url),
        "canonical_url": art.canonical_url,
        "url": res.final_url or res.url,
        "source_id": source.name,
        "title": art.title or (entry.title if entry else None),
        "text": art.text,
        "published": published,
        "lang": art.lang or source.lang,
        "content_hash": art.content_hash,
        "simhash": art.simhash,
        "duplicate_of": None,
        "raw_path": res.archive_path,
    }


def ingest_source(source: Source, run_key: str, settings: Settings | None = None, db_url: str | None = None) -> IngestSummary:
    """Poll one source and store what is new. Never raises for network or content problems."""
    settings = settings or get_settings()
    started = time.perf_counter()
    summary = IngestSummary(source=source.name)
    with db.connection(db_url) as conn:
        load.upsert_sources(conn, [(source.name, source.url, source.kind, source.lang)])
        state = load.source_state(conn, source.name)
    client = _client(settings)
    try:
        rows, _, feed_state = _collect(source, state, client, settings, summary, db_url)
    finally:
        client.close()
    with db.connection(db_url) as conn:
        _mark_duplicates(conn, rows, summary)
        summary.new = load.upsert_articles(conn, rows)
        load.record_fetch_errors(conn, run_key, summary.errors)
        # The feed's validators commit with its articles: saved earlier, a run dying before this
        # point would leave the next run a 304 and the articles never stored.
        if feed_state is not None:
            load.save_source_state(conn, source.name, **feed_state)
    summary.seconds = time.perf_counter() - started
    return summary


def _is_html(res: FetchResult) -> bool:
    ctype = (res.content_type or "").lower()
    head = res.body[:512].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def _discovered_feed(page: FetchResult, source: Source, client: HttpClient, summary: IngestSummary) -> FetchResult:
    """Feed autodiscovery: the first feed a page announces, fetched; the page itself when it announces none."""
    links = discover_feeds(page.body, page.final_url or source.url)
    if not links:
        return page
    same_host = urlsplit(links[0]).hostname == urlsplit(source.url).hostname
    log.info("%s: %s is a web page; using the feed it announces, %s", source.name, source.url, links[0])
    return client.get(links[0], trusted=same_host, kind="feed")


def _retry_may_help(res: FetchResult) -> bool:
    """False for failures that fetching again will not fix: a 4xx, or refused before any request
    (SSRF guard, robots.txt, malformed URL). Network errors, timeouts, 5xx and 429 may pass later."""
    if res.attempts == 0:
        return False
    return res.status is None or res.status >= 500 or res.status == 429


def _collect(source: Source, state: dict[str, Any], client: HttpClient, settings: Settings,
             summary: IngestSummary, db_url: str | None
             ) -> tuple[list[dict[str, Any]], dict[str, FeedEntry], dict[str, Any] | None]:
    feed_ok = True
    feed_state: dict[str, Any] | None = None
    entries: list[FeedEntry] = []
    if source.kind == "page":
        entries = [FeedEntry(url=source.url, title=None, published=None, summary=None, guid=None)]
    else:
        res = client.get(source.url, trusted=True, etag=state.get("etag"), last_modified=state.get("last_modified"),
                         kind="feed")
        if res.error or not res.ok:
            feed_ok = False
            summary.feed_status = "failed"
            summary.errors.append(_error(source.name, source.url, "feed", res.error or f"HTTP {res.status}", res.attempts))
        elif res.not_modified:
            summary.feed_status = "not_modified"
        else:
            if _is_html(res):
                # A site's home page instead of a feed: follow its <link rel="alternate"> feed.
                res = _discovered_feed(res, source, client, summary)
            try:
                feed = parse_feed(res.body, res.final_url or source.url, res.content_type,
                                  max_entries=settings.ingest.max_feed_entries)
                entries = feed.entries
                if feed.bozo:
                    log.info("%s: feed is not well-formed but usable (%s)", source.name, feed.bozo_reason)
            except FeedError as exc:
                feed_ok = False
                summary.feed_status = "failed"
                summary.errors.append(_error(source.name, source.url, "feed", str(exc)))
        feed_state = {"ok": feed_ok, "status": res.status, "etag": res.etag, "last_modified": res.last_modified,
                      "error": summary.errors[-1]["error"] if not feed_ok else None}
    summary.entries = len(entries)
    by_url: dict[str, FeedEntry] = {}
    for e in entries:
        by_url.setdefault(e.url, e)
    with db.connection(db_url) as conn:
        known = load.known_urls(conn, by_url)
    summary.already_known = len(known)
    unseen = [u for u in by_url if u not in known]
    todo = unseen[: settings.ingest.max_articles_per_source]
    # The feed is done with when every entry is stored or failed for good. Until then its old
    # validators stay, so that the next run gets the whole feed again rather than a 304.
    complete = len(unseen) == len(todo)
    trusted = source.kind == "page"
    results = client.fetch_many([FetchRequest(url=u, trusted=trusted) for u in todo])
    rows: list[dict[str, Any]] = []
    seen_canonical: set[str] = set()
    for url, res in zip(todo, results, strict=True):
        if res.error or not res.ok or res.not_modified:
            summary.errors.append(_error(source.name, url, "page", res.error or f"HTTP {res.status}", res.attempts))
            complete = complete and not _retry_may_help(res)
            continue
        summary.fetched += 1
        if res.archive_error:
            summary.errors.append(_error(source.name, url, "archive", res.archive_error))
        try:
            art = parse_article(res.body, res.final_url or url, res.content_type)
        except ParseError as exc:
            summary.errors.append(_error(source.name, url, "parse", str(exc)))
            continue
        if art.canonical_url in seen_canonical:
            summary.duplicates += 1
            continue
        seen_canonical.add(art.canonical_url)
        rows.append(_article_row(source, art, by_url.get(url), res))
    if feed_state is not None and not complete:
        feed_state.update(etag=state.get("etag"), last_modified=state.get("last_modified"))
    return rows, by_url, feed_state


def _mark_duplicates(conn, rows: list[dict[str, Any]], summary: IngestSummary) -> None:  # type: ignore[no-untyped-def]
    """Exact copies (same text hash) and near copies (SimHash within NEAR_DUPLICATE_BITS) point at the first copy."""
    if not rows:
        return
    known = load.known_urls(conn, (r["canonical_url"] for r in rows))
    rows[:] = [r for r in rows if r["canonical_url"] not in known]
    by_hash = load.find_by_content_hash(conn, (r["content_hash"] for r in rows))
    recent = load.recent_simhashes(conn)
    batch_first: dict[str, str] = {}
    for r in rows:
        original = by_hash.get(r["content_hash"]) or batch_first.get(r["content_hash"])
        if original is None and r["simhash"] is not None:
            for article_id, sh in recent:
                if hamming(sh, r["simhash"]) <= NEAR_DUPLICATE_BITS:
                    original = article_id
                    break
        if original and original != r["article_id"]:
            r["duplicate_of"] = original
            summary.duplicates += 1
        else:
            batch_first.setdefault(r["content_hash"], r["article_id"])
            if r["simhash"] is not None:
                recent.append((r["article_id"], r["simhash"]))


def fetch_records(urls: list[str], settings: Settings | None = None) -> list[dict[str, Any]]:
    """`diplowatch fetch`: feeds or pages, fetched and parsed as the DAG does, no database.

    A feed yields one record per linked article; a page yields its article.
    URLs given by the operator are trusted; links inside feeds are not (SSRF guard).
    """
    settings = settings or get_settings()
    client = _client(settings)
    out: list[dict[str, Any]] = []
    try:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                out.append({"url": url, "error": "only http and https URLs are fetched"})
                continue
            res = client.get(url, trusted=True)
            if res.error or not res.ok:
                out.append({"url": url, "error": res.error or f"HTTP {res.status}"})
                continue
            ctype = (res.content_type or "").lower()
            is_html = "html" in ctype or res.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
            if not is_html:
                try:
                    feed = parse_feed(res.body, res.final_url or url, res.content_type,
                                      max_entries=settings.ingest.max_feed_entries)
                except FeedError as exc:
                    out.append({"url": url, "error": str(exc)})
                    continue
                links = [e.url for e in feed.entries][: settings.ingest.max_articles_per_source]
                for link, page in zip(links, client.fetch_many([FetchRequest(url=u, trusted=False) for u in links]),
                                      strict=True):
                    out.append(_page_record(link, page))
            else:
                out.append(_page_record(url, res))
    finally:
        client.close()
    return out


def _page_record(url: str, res: FetchResult) -> dict[str, Any]:
    if res.error or not res.ok:
        return {"url": url, "error": res.error or f"HTTP {res.status}"}
    try:
        art = parse_article(res.body, res.final_url or url, res.content_type)
    except ParseError as exc:
        return {"url": url, "error": str(exc)}
    return {"url": url, "canonical_url": art.canonical_url, "title": art.title,
            "published": art.published.isoformat() if art.published else None, "lang": art.lang,
            "text_length": len(art.text)}
