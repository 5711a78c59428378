"""Real feed files from the shared fixtures, served over HTTP on 127.0.0.1, fetched and parsed."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from diplowatch.fetch.http import HttpClient
from diplowatch.parse.feeds import parse_feed

pytestmark = pytest.mark.timeout(60)

NEWS_FEEDS = {
    "guardian_us_2018.rss": 55,
    "heise_developer_de_2016.atom": 15,
    "huffpost_canada_2017.rss": 2,
    "techcrunch_feedburner.rss": 20,
    "google_alerts_2019.atom": 20,
    "google_actualites_fr_be_2020.rss": 1,
    "reporterre_fr_dcdate.rss": 1,
    "nyt_health_char_escape.rss": 1,
}


@pytest.mark.parametrize("name", sorted(NEWS_FEEDS))
def test_news_feed_over_http_gzip(
    httpserver: HTTPServer, fast_settings: Any, feed_fixtures: Path, name: str
) -> None:
    raw = (feed_fixtures / "news" / name).read_bytes()
    content_type = "application/atom+xml" if name.endswith(".atom") else "application/rss+xml"
    httpserver.expect_request(f"/{name}").respond_with_data(
        gzip.compress(raw), content_type=content_type, headers={"Content-Encoding": "gzip"}
    )
    with HttpClient(fast_settings()) as client:
        result = client.get(httpserver.url_for(f"/{name}"), trusted=True, kind="feed")
    assert result.ok and result.body == raw
    feed = parse_feed(result.body, result.final_url, result.content_type)
    assert len(feed.entries) == NEWS_FEEDS[name]
    assert all(e.url.startswith(("http://", "https://")) for e in feed.entries)


def fixture_headers(text: str) -> dict[str, str]:
    """The 'Header:' lines of a feedparser test file's comment block."""
    headers = {}
    for match in re.finditer(r"^Header:\s*([\w-]+):[ \t]*(.*)$", text, re.MULTILINE):
        headers[match.group(1)] = match.group(2).strip()
    return headers


def test_conditional_get_with_feedparser_header_fixtures(
    httpserver: HTTPServer, fast_settings: Any, feed_fixtures: Path
) -> None:
    files = sorted((feed_fixtures / "conditional_get_fixtures").glob("*.xml"))
    assert files
    with HttpClient(fast_settings()) as client:
        for path in files:
            body = path.read_bytes()
            headers = fixture_headers(body.decode("utf-8"))
            etag, modified = headers.get("ETag"), headers.get("Last-Modified")

            def handler(
                request: Request,
                body: bytes = body,
                headers: dict[str, str] = headers,
                etag: str | None = etag,
                modified: str | None = modified,
            ) -> Response:
                if (etag and request.headers.get("If-None-Match") == etag) or (
                    modified and request.headers.get("If-Modified-Since") == modified
                ):
                    return Response(status=304)
                return Response(body, content_type="application/atom+xml", headers=headers)

            httpserver.clear()
            httpserver.expect_request(f"/{path.name}").respond_with_handler(handler)
            url = httpserver.url_for(f"/{path.name}")
            first = client.get(url, trusted=True, kind="feed")
            assert first.ok and first.body == body, path.name
            assert first.etag == (etag or None), path.name
            assert first.last_modified == (modified or None), path.name
            parse_feed(first.body, url, first.content_type)  # readable

            second = client.get(
                url, trusted=True, kind="feed", etag=first.etag, last_modified=first.last_modified
            )
            assert second.ok, path.name
            # Only a validator can make the second request conditional.
            assert second.not_modified is bool(etag or modified), path.name
