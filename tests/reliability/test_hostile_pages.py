"""Hostile article pages, served on 127.0.0.1 and ingested through ingest_source into PostgreSQL;
SQL meta-characters in every field that reaches the warehouse, read back unchanged; markup in
titles and sentences kept as data by the events API and never rendered by the events page.
"""

from __future__ import annotations

import gzip
import html
import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplowatch.parse.articles import parse_article
from diplowatch.parse.feeds import parse_feed
from diplowatch.sources.config import Source
from tests.reliability.hostile import HOST, hostile_settings, run_case
from tests.reliability.localnet import FILLER, NewsServer, Route, article_html, rss

GROUP = "pages"
HTML = "text/html; charset=utf-8"


@pytest.fixture(scope="module")
def site() -> Iterator[NewsServer]:
    with NewsServer() as srv:
        yield srv


def page(title: str = "A title", body: str = "", head: str = "", lang: str = "en") -> bytes:
    """A page with enough article text, `body` (raw HTML) added to it."""
    text = "".join(f"<p>{html.escape(FILLER)} Paragraph {i}.</p>" for i in range(3))
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
            f"<body><article><h1>{title}</h1>{text}{body}</article></body></html>").encode()


def written_cases(srv: NewsServer) -> dict[str, tuple[Route, str]]:
    p = srv.port
    fifty = [b"<p>" + b"z" * 65_000 + b"</p>"] * 800
    bomb = gzip.compress(b"<html>" + b" " * 40_000_000, compresslevel=9)
    doc = page().decode()
    deep = page(body="<div>" * 10_000 + "deep text " * 30 + "</div>" * 10_000)
    deeper = page(body="<div>" * 200_000 + "</div>" * 200_000)
    xxe = ('<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">'
           f'<!ENTITY y SYSTEM "http://127.0.0.1:{p}/secret">]>' + doc.replace("Paragraph 0.", "&x; &y; Paragraph 0."))
    return {
        "png as text/html": (Route(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, HTML), "error"),
        "pdf as text/html": (Route(b"%PDF-1.7\n" + bytes(range(256)) * 10, HTML), "error"),
        "zip with text/html": (Route(b"PK\x03\x04" + b"\x00" * 500, "text/html"), "error"),
        "nul bytes early": (Route(b"<html>\x00\x00\x00" + page(), HTML), "error"),
        "nul bytes late": (Route(page(body="<p>late" + "\x00" * 10 + " nul</p>" + " pad" * 400), HTML), "stored"),
        "50 MB streamed (no length)": (Route(b"", HTML, stream=lambda: iter([b"<html><body>"] + fifty), conditional=False), "error"),
        "50 MB with content-length": (Route(b"<html>" + b"w" * 50_000_000, HTML), "error"),
        "gzip bomb": (Route(bomb, HTML, headers={"Content-Encoding": "gzip"}), "error"),
        "truncated page": (Route(page()[: len(page()) * 2 // 3], HTML), "any"),
        "cp1252 without charset": (Route(doc.replace('<meta charset="utf-8">', "").replace("A title", "Café déjà vu")
                                         .encode("cp1252"), "text/html"), "stored"),
        "utf-8 declared, cp1252 bytes": (Route(doc.replace("A title", "Élysée € “quotes”").encode("cp1252"), HTML), "stored"),
        "meta says utf-16": (Route(doc.replace('charset="utf-8"', 'charset="utf-16"').encode(), "text/html"), "stored"),
        "utf-16 with BOM": (Route(b"\xff\xfe" + doc.encode("utf-16-le"), "text/html"), "stored"),
        "utf-8 BOM": (Route(b"\xef\xbb\xbf" + page(), HTML), "stored"),
        "unknown charset": (Route(page(), "text/html; charset=x-klingon"), "stored"),
        "zero-width and bidi in title": (Route(page("Pu\u200btin\u200d meets \u202eXi\u202c \u2066Jinping\u2069"), HTML), "stored"),
        "right-to-left text": (Route(page("بوتين يلتقي شي", body="<p dir='rtl'>" + "زيارة رسمية إلى الصين " * 20 + "</p>",
                                          lang="ar"), HTML), "stored"),
        "html and js in title": (Route(page(html.escape("<script>alert('t')</script><img src=x onerror=alert(1)>")), HTML), "stored"),
        "raw script in title": (Route(page("<script>alert(1)</script>"), HTML), "any"),
        "10k nested divs": (Route(deep, HTML), "stored"),
        "200k nested divs": (Route(deeper, HTML), "any"),
        "one 1 MB word": (Route(page(body="<p>" + "a" * 1_000_000 + "</p>"), HTML), "stored"),
        "100k paragraphs": (Route(page(body="<p>word</p>" * 100_000), HTML), "any"),
        "script and style only": (Route(b"<html><head><script>var a=1;</script><style>p{}</style></head><body></body></html>",
                                        HTML), "error"),
        "empty html": (Route(b"<html></html>", HTML), "error"),
        "empty body": (Route(b"", HTML), "error"),
        "xxe in xhtml": (Route(xxe.encode(), "application/xhtml+xml"), "any"),
        "canonical javascript:": (Route(page(head='<link rel="canonical" href="javascript:alert(1)">'), HTML), "stored"),
        "canonical with quotes": (Route(page(head="<link rel=\"canonical\" href=\"http://127.0.0.1/a'b&quot;c;--\">"), HTML), "stored"),
        "meta refresh to private": (Route(page(head='<meta http-equiv="refresh" content="0;url=http://169.254.169.254/">'), HTML), "stored"),
        "base href to private": (Route(page(head='<base href="http://10.0.0.1/">'), HTML), "stored"),
        "published year 0": (Route(page(head='<meta property="article:published_time" content="0000-01-01T00:00:00Z">'), HTML), "stored"),
        "published year 9999": (Route(page(head='<meta property="article:published_time" content="9999-12-31T23:59:59Z">'), HTML), "stored"),
        "published +14:00": (Route(page(head='<meta property="article:published_time" content="2024-01-01T23:30:00+14:00">'), HTML), "stored"),
        "published -14:00": (Route(page(head='<meta property="article:published_time" content="2024-01-01T00:30:00-14:00">'), HTML), "stored"),
        "published 2024-02-30": (Route(page(head='<meta property="article:published_time" content="2024-02-30">'), HTML), "stored"),
        "published tomorrow+1y": (Route(page(head='<meta name="date" content="2099-05-05">'), HTML), "stored"),
        "json as text/html": (Route(b'{"title": "not html", "text": "' + b"x " * 500 + b'"}', HTML), "any"),
        "text/plain article": (Route((FILLER * 5).encode(), "text/plain"), "any"),
        "404": (Route(b"no", "text/plain", status=404), "error"),
        "500 every time": (Route(b"no", "text/plain", status=500), "error"),
        "connection dropped": (Route(page(), HTML, drop=True), "error"),
        "redirect to private": (Route(b"", HTML, status=301, headers={"Location": "http://[::ffff:10.0.0.1]/"}), "error"),
        "redirect without location": (Route(b"", HTML, status=302), "error"),
    }


def _published_sane(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE published < '1990-01-01' OR published > now() + interval '2 days'")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM articles WHERE text LIKE %s OR text LIKE %s", ("%root:x:0:0%", "%not found%"))
        assert cur.fetchone()[0] == 0  # no external entity was resolved into a text
    conn.close()


def test_written_hostile_pages(site: NewsServer, clean_warehouse: str, tally: Counter[str], no_dns: None) -> None:
    failures = []
    for n, (name, (route, expected)) in enumerate(written_cases(site).items()):
        site.routes[f"/wp/{n}"] = route
        src = Source(f"wp-{n}", f"{site.base}/wp/{n}", kind="page")
        try:
            outcome, summary = run_case(clean_warehouse, src, None, None, hostile_settings(), tally, GROUP)
            if expected != "any" and outcome != expected:
                failures.append(f"{name}: expected {expected}, got {outcome} ({summary.errors})")
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert site.requests["/secret"] == 0
    _published_sane(clean_warehouse)
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ SQL meta-characters, round trip

CLASSIC = [
    "'; DROP TABLE articles; --", "Robert'); DROP TABLE events;--", "\" OR \"1\"=\"1", "' OR 1=1 --",
    "1; SELECT pg_sleep(10)", "$$; DELETE FROM sources; $$", "E'\\x27'", "\\'; TRUNCATE articles; --",
    "%' AND title LIKE '%", "_%_%", "/* comment */ title", "`backticks`", "tab\there", "back\\slash\\",
    "COPY articles FROM PROGRAM 'id'", "\\N", "\\.", "null", "NULL", "Ünïcødé ' \" ; — “quotes” ‘single’",
    "\u200b'\u200b;\u200b--", "\u202e'; DROP TABLE x; --", "😀'; --", "\r\n'; --\r\n",
]  # (a NUL byte in the first kilobyte makes a page "binary": see "nul bytes late" for NULs in text)
META = st.lists(st.sampled_from(list("'\";-/*\\%_$()[]{}|`~!@#^&=+<>?,.: ") + [
    "\t", "é", "\u200b", "\u202e", "😀", "\\N", "--", "/*", "$$", "\\.", "E'", "DROP TABLE articles"]),
    min_size=1, max_size=20).map("".join)


def _stored(url: str, article_url: str) -> tuple | None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT title, text, url, canonical_url, source_id FROM articles WHERE url = %s", (article_url,))
        row = cur.fetchone()
    conn.close()
    return row


def _round_trip(site: NewsServer, db_url: str, tally: Counter[str], n: str, s: str) -> None:
    path = f"/rt/{n}/{quote(s, safe='')}"
    body = page(html.escape(s), body=f"<p>{html.escape(s)} is what the minister said about it.</p>")
    site.routes[path] = Route(body, HTML)
    source = Source(f"rt-{n}", f"{site.base}{path}", kind="page")
    outcome, _ = run_case(db_url, source, None, None, hostile_settings(), tally, GROUP)
    assert outcome == "stored"
    expected = parse_article(body, source.url, HTML)
    row = _stored(db_url, source.url)
    assert row is not None, s
    assert row == (expected.title, expected.text.replace("\x00", ""), source.url, expected.canonical_url, source.name)
    # ... and its error, when the same URL answers 404.
    site.routes[path] = Route(b"gone", "text/plain", status=404)
    missing = Source(f"rt-{n}-404", f"{site.base}{path}?q={quote(s, safe='')}", kind="page")
    run_case(db_url, missing, None, None, hostile_settings(), tally, GROUP)
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT url, error FROM fetch_errors WHERE source_id = %s", (missing.name,))
        assert cur.fetchall() == [(missing.url, "HTTP 404")]
        cur.execute("SELECT url FROM sources WHERE source_id = %s", (missing.name,))
        assert cur.fetchone() == (missing.url,)
    conn.close()


def test_classic_injection_strings_round_trip(site: NewsServer, clean_warehouse: str, tally: Counter[str],
                                              no_dns: None) -> None:
    for k, s in enumerate(CLASSIC):
        _round_trip(site, clean_warehouse, tally, f"c{k}", s)
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles")
        assert cur.fetchone()[0] == len(CLASSIC)  # the tables are all still there, nothing deleted
        cur.execute("SELECT count(*) FROM sources")
        assert cur.fetchone()[0] == 2 * len(CLASSIC)
    conn.close()


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(s=META)
def test_generated_meta_strings_round_trip(site: NewsServer, clean_warehouse: str, tally: Counter[str],
                                           no_dns: None, s: str) -> None:
    n = f"g{sum(1 for k in site.routes if k.startswith('/rt/g'))}"
    _round_trip(site, clean_warehouse, tally, n, s)


def test_feed_entry_titles_reach_the_warehouse_unchanged(site: NewsServer, clean_warehouse: str,
                                                         tally: Counter[str], no_dns: None) -> None:
    """Pages with no title of their own take the feed entry's: those titles arrive unchanged too."""
    items = []
    for k, s in enumerate(CLASSIC):
        path = f"/ft/{k}"
        untitled = (b"<html><body><article>" + b"".join(
            f"<p>{html.escape(FILLER)} {k}.{i}</p>".encode() for i in range(3)) + b"</article></body></html>")
        site.routes[path] = Route(untitled, HTML)
        items.append((f"http://{HOST}:{site.port}{path}", s))
    body = rss(items, title="Feed title '; DROP TABLE sources; --")
    site.routes["/titles.rss"] = Route(body, "application/rss+xml")
    outcome, summary = run_case(clean_warehouse, Source("titles", f"{site.base}/titles.rss"), body,
                                "application/rss+xml", hostile_settings(max_articles_per_source=50), tally, GROUP)
    assert outcome == "stored" and summary.new == len(CLASSIC)
    entries = {e.url: e.title for e in parse_feed(body, f"{site.base}/titles.rss").entries}
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT url, title FROM articles WHERE source_id = 'titles'")
        stored = dict(cur.fetchall())
    conn.close()
    assert stored == entries


# ------------------------------------------------------------------ markup as data, never as HTML


def test_markup_in_titles_and_sentences_is_data_in_the_api_and_absent_from_the_page(
    site: NewsServer, clean_warehouse: str, tally: Counter[str], no_dns: None
) -> None:
    from fastapi.testclient import TestClient

    from diplowatch.pipeline import extract as pipeline_extract
    from diplowatch.ui.app import WarehouseConnector, create_app

    payload = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
    body = article_html(0, title=payload, extra_text=f"{payload} French President Emmanuel Macron met German "
                                                   f"Chancellor Olaf Scholz in Berlin on Wednesday.")
    site.routes["/xss"] = Route(body, HTML)
    outcome, _ = run_case(clean_warehouse, Source("xss", f"{site.base}/xss", kind="page"), None, None,
                          hostile_settings(), tally, GROUP)
    assert outcome == "stored"
    for batch in pipeline_extract.plan_batches(db_url=clean_warehouse):
        pipeline_extract.process_batch(batch, db_url=clean_warehouse)
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT title FROM articles WHERE source_id = 'xss'")
        assert cur.fetchone()[0] == payload
        cur.execute("SELECT count(*) FROM events WHERE sentence LIKE %s", ("%<script>%",))
        with_markup = cur.fetchone()[0]
    conn.close()
    assert with_markup >= 1
    client = TestClient(create_app(auth=None, connect=WarehouseConnector(clean_warehouse)))
    api = client.get("/api/events", params={"q": "script"})
    assert api.status_code == 200 and api.headers["content-type"].startswith("application/json")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert any("<script>alert('xss')</script>" in e["sentence"] for e in api.json()["events"])
    pg = client.get("/")
    assert pg.status_code == 200 and "alert('xss')" not in pg.text
    assert "script-src 'nonce-" in pg.headers["content-security-policy"]
    # The page's script writes data with textContent only (tests/ui/test_page.py checks it in depth).
    assert not re.search(r"\.innerHTML\s*=|insertAdjacentHTML|document\.write|outerHTML\s*=", pg.text)
