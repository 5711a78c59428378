"""A source that points at a site's home page: the feed it announces is found and polled."""

from __future__ import annotations

from dataclasses import replace

import psycopg2

from diplowatch.pipeline.ingest import ingest_source
from diplowatch.settings import load_settings
from diplowatch.sources.config import Source
from diplowatch.sources.sample_server import SampleServer

HOME = b"""<!doctype html><html lang="en"><head><title>The Meridian Post</title>
<link rel="alternate" type="application/rss+xml" title="World" href="/feeds/meridian-world.rss">
</head><body><h1>The Meridian Post</h1><p>Front page.</p></body></html>"""


def test_home_page_source_uses_its_announced_feed(clean_warehouse: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DIPLOWATCH_ALLOW_HOSTS", "127.0.0.1")
    settings = load_settings()
    settings = replace(settings, http=replace(settings.http, per_host_delay_s=0.0))
    with SampleServer(extra={"/": (HOME, "text/html; charset=utf-8")}) as srv:
        summary = ingest_source(Source(name="meridian-home", url=srv.base_url + "/"), run_key="t", settings=settings)
        assert srv.requests["/feeds/meridian-world.rss"] == 1
    assert summary.feed_status == "ok" and summary.entries > 5
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE source_id = 'meridian-home'")
        assert cur.fetchone()[0] == summary.new > 5
