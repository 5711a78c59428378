"""Hostile feed documents, served on 127.0.0.1 and ingested through ingest_source into PostgreSQL.

Each case ends in stored articles, a recorded error (fetch_errors + sources.last_error) or an
empty feed on record — never an exception, never a hang (each case is timed), never a fetch of an
entity, DTD or stylesheet the document names.
"""

from __future__ import annotations

import gzip
import random
import zlib
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplowatch.sources.config import Source
from tests.reliability.hostile import HOST, hostile_settings, run_case
from tests.reliability.localnet import NewsServer, Route, article_html

GROUP = "feeds"
XML = "application/rss+xml"


@pytest.fixture(scope="module")
def site() -> Iterator[NewsServer]:
    with NewsServer() as srv:
        for i in range(5):
            srv.routes[f"/p/{i}"] = Route(article_html(100 + i))
        yield srv


def link(srv: NewsServer, i: int) -> str:
    return f"http://{HOST}:{srv.port}/p/{i}"


def base_rss(srv: NewsServer, n: int = 3, pub: str = "Tue, 02 Jan 2024 08:00:00 GMT") -> bytes:
    items = "".join(f"<item><title>Item {i} &amp; more</title><link>{link(srv, i)}</link>"
                    f"<pubDate>{pub}</pubDate><description><![CDATA[<p>Summary {i}</p>]]></description></item>"
                    for i in range(n))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hostile</title>'
            f"<link>http://127.0.0.1/</link><description>d</description>{items}</channel></rss>").encode()


def base_atom(srv: NewsServer, updated: str = "2024-01-02T08:00:00Z") -> bytes:
    entries = "".join(f'<entry><title>Entry {i}</title><link href="{link(srv, i)}"/><id>urn:{i}</id>'
                      f"<updated>{updated}</updated></entry>" for i in range(3))
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            f"<id>urn:feed</id><updated>{updated}</updated>{entries}</feed>").encode()


def written_cases(srv: NewsServer) -> dict[str, tuple[Route, str]]:
    """name -> (route, expected outcome: error | stored | empty | any)."""
    p = srv.port
    rss = base_rss(srv)
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10)
                         for i in range(1, 10))
              + b']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>')
    blowup = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + b"x" * 50_000 + b'">]><rss version="2.0">'
              b"<channel><title>" + b"&a;" * 50_000 + b"</title></channel></rss>")
    xxe_file = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<rss version="2.0"><channel><title>&x;</title>' + rss.split(b"<channel>", 1)[1])
    xxe_http = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:%d/secret">]>' % p
                + b'<rss version="2.0"><channel><title>&x;</title>' + rss.split(b"<channel>", 1)[1])
    dtd = (b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:%d/evil.dtd">' % p
           + rss.split(b"?>", 1)[1])
    param = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:' + str(p).encode()
             + b'/param.dtd"> %p;]>' + rss.split(b"?>", 1)[1])
    xinclude = rss.replace(b"<title>Hostile</title>",
                           b'<title><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                           b'href="http://127.0.0.1:%d/xinclude" parse="text"/></title>' % p)
    stylesheet = rss.replace(b"?>", b'?><?xml-stylesheet type="text/xsl" href="http://127.0.0.1:%d/x.xsl"?>' % p, 1)
    text = rss.decode()
    cyrillic = text.replace("Item 0 &amp; more", "Визит Путина в Китай").replace('encoding="utf-8"',
                                                                                'encoding="windows-1251"')
    undeclared_sjis = text.replace("Item 0 &amp; more", "習近平国家主席").replace(' encoding="utf-8"', "")
    nested = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b"<x>" * 20_000 + b"</x>" * 20_000 + b"</channel></rss>"
    bomb = gzip.compress(b"<rss>" + b"\0" * 30_000_000, compresslevel=9)
    fifty = [b"<item><title>" + b"y" * 1000 + b"</title></item>"] * 50_000
    cases: dict[str, tuple[Route, str]] = {
        "billion laughs": (Route(laughs, XML), "error"),
        "quadratic blowup": (Route(blowup, XML), "error"),
        "external entity file": (Route(xxe_file, XML), "error"),
        "external entity http": (Route(xxe_http, XML), "error"),
        "external DTD": (Route(dtd, XML), "any"),
        "parameter entity": (Route(param, XML), "error"),
        "xinclude": (Route(xinclude, XML), "any"),
        "xml-stylesheet": (Route(stylesheet, XML), "stored"),
        "utf-16 with BOM": (Route(b"\xff\xfe" + text.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16-le"),
                                  XML), "stored"),
        "utf-16 without BOM": (Route(text.encode("utf-16-le"), XML), "any"),
        "utf-8 declared, latin-1 bytes": (Route(text.replace("Item 0", "Élysée café").encode("latin-1"), XML), "any"),
        "windows-1251 declared": (Route(cyrillic.encode("cp1251"), XML), "stored"),
        "shift_jis undeclared": (Route(undeclared_sjis.encode("shift_jis"), "application/rss+xml"), "any"),
        "unknown encoding name": (Route(text.replace("utf-8", "x-klingon").encode(), XML), "any"),
        "charset header lies": (Route(text.replace("Item 0", "Ünïcödé").encode(), "application/rss+xml; charset=ascii"), "any"),
        "png as rss": (Route(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, XML), "error"),
        "binary with nul as text/xml": (Route(bytes(random.Random(1).randrange(256) for _ in range(5000)) + b"\0",
                                              "text/xml"), "error"),
        "gzip file as text/xml": (Route(gzip.compress(rss), "text/xml"), "error"),
        "gzip bomb (content-encoding)": (Route(bomb, XML, headers={"Content-Encoding": "gzip"}), "error"),
        "deflate garbage": (Route(b"not deflate at all", XML, headers={"Content-Encoding": "deflate"}), "any"),
        "brotli encoding": (Route(rss, XML, headers={"Content-Encoding": "br"}), "error"),
        "empty body": (Route(b"", XML), "error"),
        "whitespace only": (Route(b" \n\t " * 100, XML), "error"),
        "html page as rss": (Route(article_html(1), XML), "error"),
        "json feed malformed": (Route(b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "application/feed+json"), "error"),
        "json feed not a feed": (Route(b'{"hello": "world"}', "application/json"), "error"),
        "json feed deep nesting": (Route(b"[" * 100_000 + b"]" * 100_000, "application/feed+json"), "error"),
        "json feed items wrong types": (Route(b'{"version": "https://jsonfeed.org/version/1", "items": '
                                              b'[1, "x", null, {"url": 5}, {"url": "javascript:alert(1)"}, '
                                              b'{"url": "' + link(srv, 3).encode() + b'", "title": ["a"]}]}',
                                              "application/feed+json"), "stored"),
        "xml nested 20k deep": (Route(nested, XML), "any"),
        "5 MB title": (Route(rss.replace(b"<title>Hostile</title>", b"<title>" + b"T" * 5_000_000 + b"</title>"), XML), "stored"),
        "non-http links": (Route(rss.replace(link(srv, 0).encode(), b"javascript:alert(1)")
                                 .replace(link(srv, 1).encode(), b"file:///etc/passwd")
                                 .replace(link(srv, 2).encode(), b"data:text/html,&lt;script&gt;"), XML), "empty"),
        "links to private addresses": (Route(rss.replace(link(srv, 0).encode(), b"http://169.254.169.254/latest/meta-data/")
                                             .replace(link(srv, 1).encode(), b"http://10.0.0.1/admin")
                                             .replace(link(srv, 2).encode(), b"http://[::1]:%d/p/2" % p), XML), "error"),
        "links with quotes and spaces": (Route(rss.replace(link(srv, 0).encode(),
                                                           link(srv, 0).encode() + b"?q=%27;DROP%20TABLE%20articles;--")
                                               .replace(link(srv, 1).encode(), link(srv, 1).encode() + b"/ x y"), XML), "any"),
        "cdata and comment tricks": (Route(rss.replace(b"<title>Item 1 &amp; more</title>",
                                                       b"<title><![CDATA[</item><item><link>http://10.0.0.1/</link>]]>"
                                                       b"<!-- </channel> --></title>"), XML), "stored"),
        "truncated mid-tag": (Route(rss[: len(rss) // 2], XML), "any"),
        "no root element": (Route(b'<?xml version="1.0"?>', XML), "error"),
        "fifty thousand items, 50 MB": (Route(b"", XML, stream=lambda: iter(
            [b'<?xml version="1.0"?><rss version="2.0"><channel>'] + fifty + [b"</channel></rss>"]), conditional=False),
            "error"),
        "redirect loop": (Route(b"", XML, status=302, headers={"Location": "/loop"}), "error"),
        "redirect to private address": (Route(b"", XML, status=302, headers={"Location": "http://169.254.169.254/"}), "error"),
        "content-length lies": (Route(rss, XML, drop=True), "error"),
        "404 feed": (Route(b"gone", "text/plain", status=404), "error"),
        "429 with retry-after": (Route(b"slow down", "text/plain", status=429, headers={"Retry-After": "0"}), "error"),
    }
    srv.routes["/loop"] = cases["redirect loop"][0]
    return cases


def _check_no_side_fetch(srv: NewsServer) -> None:
    for path in ("/secret", "/evil.dtd", "/param.dtd", "/xinclude", "/x.xsl"):
        assert srv.requests[path] == 0, f"the parser fetched {path}"


def test_written_hostile_feeds(site: NewsServer, clean_warehouse: str, tally: Counter[str], no_dns: None) -> None:
    cases = written_cases(site)
    failures = []
    for n, (name, (route, expected)) in enumerate(cases.items()):
        path = "/loop" if name == "redirect loop" else f"/wf/{n}"
        site.routes[path] = route
        src = Source(f"wf-{n}", f"{site.base}{path}")
        try:
            outcome, _ = run_case(clean_warehouse, src, None if route.stream else route.body, route.ctype,
                                  hostile_settings(), tally, GROUP)
            if expected != "any" and outcome != expected:
                failures.append(f"{name}: expected {expected}, got {outcome}")
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    _check_no_side_fetch(site)
    assert not failures, "\n".join(failures)


def test_100k_item_feed_is_bounded_by_max_feed_entries(site: NewsServer, clean_warehouse: str,
                                                       tally: Counter[str], no_dns: None) -> None:
    items = b"".join(b"<item><title>t%d</title><link>http://%s:%d/none/%d</link></item>"
                     % (i, HOST.encode(), site.port, i) for i in range(100_000))
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>' + items + b"</channel></rss>"
    site.routes["/big.rss"] = Route(body, XML)
    settings = hostile_settings(max_feed_entries=2000, max_articles_per_source=3)
    outcome, summary = run_case(clean_warehouse, Source("big", f"{site.base}/big.rss"), body, XML, settings,
                                tally, GROUP)
    assert summary.entries == 2000 and outcome == "error"  # the 3 pages it tried are 404s, on record
    assert sum(n for path, n in site.requests.items() if path.startswith("/none/")) == 3


# ------------------------------------------------------------------ generated cases


def test_every_truncation_of_a_feed(site: NewsServer, clean_warehouse: str, tally: Counter[str], no_dns: None) -> None:
    """A valid RSS and Atom feed cut at 30 places each (mid-tag, mid-entity, mid-CDATA...)."""
    failures = []
    for kind, doc in (("rss", base_rss(site)), ("atom", base_atom(site))):
        for k, cut in enumerate(sorted({int(len(doc) * i / 31) for i in range(1, 31)})):
            body = doc[:cut]
            site.routes[f"/cut/{kind}/{k}"] = Route(body, XML)
            try:
                run_case(clean_warehouse, Source(f"cut-{kind}-{k}", f"{site.base}/cut/{kind}/{k}"), body, XML,
                         hostile_settings(), tally, GROUP)
            except AssertionError as exc:
                failures.append(f"{kind} cut at {cut}: {exc}")
    assert not failures, "\n".join(failures)


ABSURD_DATES = [
    "Mon, 01 Jan 0000 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Tue, 02 Jan 2024 08:00:00 +1400",
    "Tue, 02 Jan 2024 08:00:00 -1400", "Tue, 02 Jan 2024 08:00:00 +9999", "0000-00-00T00:00:00Z",
    "2024-02-30T10:00:00Z", "2024-13-01", "99999-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "yesterday",
    "", "2024-01-02T25:61:61Z", "Tue, 02 Jan 1969 23:59:59 GMT", "1e400", "\u202e2024-01-02",
    "Sat, 29 Feb 2025 00:00:00 GMT", "2024-01-02T08:00:00+14:00", "2024-01-02T08:00:00-14:00",
    "lun., 5 févr. 2024 10:00:00 +0100",
]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_absurd_dates_in_feeds(fmt: str, site: NewsServer, clean_warehouse: str, tally: Counter[str],
                               no_dns: None) -> None:
    failures = []
    for k, date in enumerate(ABSURD_DATES):
        from html import escape

        body = base_rss(site, pub=escape(date)) if fmt == "rss" else base_atom(site, updated=escape(date))
        site.routes[f"/date/{fmt}/{k}"] = Route(body, XML)
        try:
            outcome, _ = run_case(clean_warehouse, Source(f"date-{fmt}-{k}", f"{site.base}/date/{fmt}/{k}"), body,
                                  XML, hostile_settings(), tally, GROUP)
            assert outcome == "stored", outcome
        except AssertionError as exc:
            failures.append(f"{date!r}: {exc}")
    assert not failures, "\n".join(failures)
    import psycopg2

    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE published < '1990-01-01' OR published > now() + interval '2 days'")
        assert cur.fetchone()[0] == 0
    conn.close()


def _link_spans(doc: bytes, srv: NewsServer) -> set[int]:
    """Byte positions inside links: mutations stay out of them (a mutated port could reach another local service)."""
    spans: set[int] = set()
    for i in range(5):
        needle = link(srv, i).encode()
        start = doc.find(needle)
        while start != -1:
            spans.update(range(start - 5, start + len(needle) + 5))
            start = doc.find(needle, start + 1)
    return spans


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_feeds(site: NewsServer, clean_warehouse: str, tally: Counter[str], no_dns: None,
                       data: st.DataObject) -> None:
    """A valid feed with a few bytes flipped, deleted or inserted (outside its links)."""
    doc = bytearray(base_rss(site) if data.draw(st.booleans(), "atom?") is False else base_atom(site))
    allowed = [i for i in range(len(doc)) if i not in _link_spans(bytes(doc), site)]
    for _ in range(data.draw(st.integers(1, 6), "mutations")):
        pos = data.draw(st.sampled_from(allowed), "position")
        if pos >= len(doc):
            continue
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]), "op")
        byte = data.draw(st.sampled_from(list(b"<>&;\"'/\x00\xff\xfe]![-?=") + [65, 0x80]), "byte")
        if op == "flip":
            doc[pos] = byte
        elif op == "delete":
            del doc[pos]
        else:
            doc.insert(pos, byte)
    n = sum(1 for k in site.routes if k.startswith("/mut/"))
    body = bytes(doc)
    site.routes[f"/mut/{n}"] = Route(body, XML)
    run_case(clean_warehouse, Source(f"mut-{n}", f"{site.base}/mut/{n}"), body, XML, hostile_settings(), tally, GROUP)


def test_deflate_and_gzip_served_properly_still_work(site: NewsServer, clean_warehouse: str, tally: Counter[str],
                                                      no_dns: None) -> None:
    rss = base_rss(site)
    site.routes["/gz.rss"] = Route(gzip.compress(rss), XML, headers={"Content-Encoding": "gzip"})
    site.routes["/df.rss"] = Route(zlib.compress(rss), XML, headers={"Content-Encoding": "deflate"})
    for name in ("gz", "df"):
        outcome, _ = run_case(clean_warehouse, Source(name, f"{site.base}/{name}.rss"), rss, XML,
                              hostile_settings(), tally, GROUP)
        assert outcome == "stored"
