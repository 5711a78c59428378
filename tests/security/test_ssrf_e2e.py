"""The SSRF guard end to end: a feed on 127.0.0.1 whose links point at private, loopback, link-local
and otherwise internal addresses, in every spelling, through ingest_source into PostgreSQL.

127.0.0.1 is NOT allow-listed here. Every such link must end as a fetch_errors row ("refused: ...")
and never as a request: the links point back at the test server itself, which counts what it is
asked. DNS names resolve through a monkeypatched diplowatch.fetch.guard.resolve_host, so no real
DNS query is made and nothing but 127.0.0.1 is ever connected to. One allow-listed name
(redirector.example -> 127.0.0.1) answers with redirects to internal addresses: each hop is vetted
again. Unit tests of the guard itself: tests/fetch/test_fetch_guard.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import psycopg2
import pytest

from diplowatch.fetch import guard
from diplowatch.pipeline.ingest import fetch_records, ingest_source
from diplowatch.sources.config import Source
from tests.reliability.conftest import fast_settings
from tests.reliability.localnet import NewsServer, Route, article_html, rss

NAMES = {
    "localhost": ["127.0.0.1"],
    "internal.example": ["10.0.0.5"],
    "rebind.example": ["93.184.216.34", "127.0.0.1"],  # one public address is not enough
    "metadata.example": ["169.254.169.254"],
    "localtest.me": ["127.0.0.1"],
    "127.0.0.1.nip.io": ["127.0.0.1"],
    "v6.example": ["::1"],
    "redirector.example": ["127.0.0.1"],  # allow-listed: the redirect tests go through it
}


def resolver(host: str, port: int) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    literal = guard.ip_literal(host)
    if literal is not None:
        return [str(literal)]
    raise OSError(f"[test] no DNS for {host}")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[NewsServer]:
    monkeypatch.setattr(guard, "resolve_host", resolver)
    with NewsServer() as srv:
        srv.routes["/ok"] = Route(article_html(1))
        yield srv


def internal_links(p: int) -> list[str]:
    return [
        f"http://127.0.0.1:{p}/leak/1", f"http://localhost:{p}/leak/2", f"http://[::1]:{p}/leak/3",
        f"http://[::ffff:127.0.0.1]:{p}/leak/4", f"http://[::ffff:7f00:1]:{p}/leak/5", f"http://0x7f.0.0.1:{p}/leak/6",
        f"http://2130706433:{p}/leak/7", f"http://127.1:{p}/leak/8", f"http://0177.0.0.1:{p}/leak/9",
        f"http://0.0.0.0:{p}/leak/10", "http://10.1.2.3/leak/11", "http://192.168.0.1/leak/12",
        "http://172.16.5.4/leak/13", "http://169.254.169.254/latest/meta-data/iam/", "http://[fe80::1]/leak/15",
        "http://[fc00::1]/leak/16", "http://100.64.0.1/leak/17", "http://[64:ff9b::7f00:1]/leak/18",
        "http://[2002:7f00:1::]/leak/19", "http://internal.example/leak/20", f"http://rebind.example:{p}/leak/21",
        "http://metadata.example/latest/meta-data/", f"http://localtest.me:{p}/leak/23",
        f"http://127.0.0.1.nip.io:{p}/leak/24", f"http://[::]:{p}/leak/25", f"http://user:pw@127.0.0.1:{p}/leak/26",
        f"http://v6.example:{p}/leak/27", f"http://LOCALHOST.:{p}/leak/28", "http://[::ffff:a9fe:a9fe]/leak/29",
        "http://0.0.0.0/", "http://224.0.0.1/leak/31", "http://[ff02::1]/leak/32", "http://255.255.255.255/leak/33",
    ]


def redirect_links(srv: NewsServer) -> list[str]:
    p = srv.port
    targets = [f"http://127.0.0.1:{p}/leak/r1", "http://169.254.169.254/latest/meta-data/",
               f"http://localhost:{p}/leak/r3", f"http://[::ffff:127.0.0.1]:{p}/leak/r4", "http://10.0.0.1/leak/r5"]
    links = []
    for k, target in enumerate(targets):
        srv.routes[f"/r/{k}"] = Route(b"", "text/html", status=302, headers={"Location": target})
        links.append(f"http://redirector.example:{p}/r/{k}")
    # A chain: two hops on the allowed host, then an internal address.
    srv.routes["/chain/1"] = Route(b"", "text/html", status=301, headers={"Location": "/chain/2"})
    srv.routes["/chain/2"] = Route(b"", "text/html", status=307, headers={"Location": f"http://[::1]:{p}/leak/chain"})
    links.append(f"http://redirector.example:{p}/chain/1")
    return links


def _nothing_allowed():  # type: ignore[no-untyped-def]
    s = fast_settings()
    return replace(s, http=replace(s.http, allow_hosts=()))


def _errors(url: str, source: str) -> dict[str, str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT url, error FROM fetch_errors WHERE source_id = %s", (source,))
        rows = dict(cur.fetchall())
    conn.close()
    return rows


def test_links_to_internal_addresses_are_refused_without_a_request(server: NewsServer, clean_warehouse: str) -> None:
    links = internal_links(server.port) + redirect_links(server)
    server.routes["/feed.rss"] = Route(rss([(u, f"link {k}") for k, u in enumerate(links)]), "application/rss+xml")
    settings = fast_settings(max_articles_per_source=100)
    settings = replace(settings, http=replace(settings.http, allow_hosts=("redirector.example",)))
    summary = ingest_source(Source("ssrf", f"{server.base}/feed.rss"), "run-1", settings, clean_warehouse)

    leaks = {path: n for path, n in server.requests.items() if path.startswith("/leak")}
    assert leaks == {}, f"internal addresses were fetched: {leaks}"
    errors = _errors(clean_warehouse, "ssrf")
    assert summary.new == 0 and len(errors) == len(links)
    for link, error in errors.items():
        assert error.startswith(("refused:", "could not resolve")), (link, error)
    # The redirects were followed on the allowed host only, and stopped at the internal hop.
    assert all(server.requests[f"/r/{k}"] == 1 for k in range(5)) and server.requests["/chain/2"] == 1
    assert all("refused: link resolves to" in errors[u] for u in links if "redirector" in u)
    # Only the operator's host and the allow-listed name were ever asked anything, robots.txt included.
    assert set(server.hosts) == {f"127.0.0.1:{server.port}", f"redirector.example:{server.port}"}


def test_an_operator_url_that_redirects_off_host_is_judged_like_a_link(server: NewsServer,
                                                                       clean_warehouse: str) -> None:
    """sources.yml URLs are trusted; the place their server redirects to, on another host, is not."""
    server.routes["/moved.rss"] = Route(b"", "text/html", status=301,
                                        headers={"Location": f"http://localhost:{server.port}/leak/moved"})
    summary = ingest_source(Source("moved", f"{server.base}/moved.rss"), "run-1", _nothing_allowed(), clean_warehouse)
    assert summary.feed_status == "failed" and server.requests["/leak/moved"] == 0
    assert list(_errors(clean_warehouse, "moved").values())[0].startswith("refused: link resolves to loopback")


def test_diplowatch_fetch_applies_the_same_guard(server: NewsServer) -> None:
    links = internal_links(server.port)[:12]
    server.routes["/feed.rss"] = Route(rss([(u, "x") for u in links] + [(f"{server.base}/ok", "fine")]),
                                       "application/rss+xml")
    records = fetch_records([f"{server.base}/feed.rss"], _nothing_allowed())
    assert len(records) == len(links) + 1
    assert all(r.get("error", "").startswith("refused:") for r in records)  # /ok on 127.0.0.1 is a link too
    assert not [p for p in server.requests if p.startswith("/leak") or p == "/ok"]
