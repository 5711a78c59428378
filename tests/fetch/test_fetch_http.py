"""HttpClient against a real HTTP server on 127.0.0.1: politeness, retries, caps, redirects, SSRF."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from diplowatch.fetch import guard
from diplowatch.fetch.archive import RawArchive
from diplowatch.fetch.http import FetchRequest, FetchResult, HttpClient, parse_retry_after

pytestmark = pytest.mark.timeout(30)

HTML = b"<html><head><title>t</title></head><body><p>Hello world</p></body></html>"


def hits(server: HTTPServer, path: str) -> int:
    return sum(1 for request, _response in server.log if request.path == path)


def assert_one_line(result: FetchResult) -> None:
    assert result.error is not None
    assert "\n" not in result.error and result.error.strip() == result.error


@pytest.fixture
def client(fast_settings: Any) -> Iterator[HttpClient]:
    with HttpClient(fast_settings()) as c:
        yield c


# --------------------------------------------------------------------------- basics


def test_plain_get_sends_user_agent_and_returns_body(httpserver: HTTPServer, fast_settings: Any) -> None:
    httpserver.expect_request("/page", method="GET").respond_with_data(
        HTML, content_type="text/html; charset=utf-8", headers={"X-Thing": "1"}
    )
    with HttpClient(fast_settings()) as client:
        result = client.get(httpserver.url_for("/page"), trusted=True)
    assert result.ok and result.error is None
    assert result.status == 200 and result.body == HTML
    assert result.final_url == result.url == httpserver.url_for("/page")
    assert result.headers["x-thing"] == "1"  # lower-case keys
    assert result.content_type == "text/html; charset=utf-8"
    assert result.attempts == 1 and result.elapsed_s >= 0
    request = httpserver.log[0][0]
    assert request.headers["User-Agent"] == fast_settings().user_agent
    assert "gzip" in request.headers["Accept-Encoding"]
    assert "text/html" in request.headers["Accept"]


def test_feed_kind_and_explicit_accept(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/feed").respond_with_data("<rss/>", content_type="application/rss+xml")
    client.get(httpserver.url_for("/feed"), trusted=True, kind="feed")
    client.get(httpserver.url_for("/feed"), trusted=True, accept="application/x-custom")
    assert "application/rss+xml" in httpserver.log[0][0].headers["Accept"]
    assert httpserver.log[1][0].headers["Accept"] == "application/x-custom"


def test_conditional_get_304(httpserver: HTTPServer, client: HttpClient) -> None:
    etag, modified = '"v1"', "Wed, 01 May 2024 10:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(
            b"<rss/>", content_type="application/rss+xml", headers={"ETag": etag, "Last-Modified": modified}
        )

    httpserver.expect_request("/feed").respond_with_handler(handler)
    url = httpserver.url_for("/feed")
    first = client.get(url, trusted=True, kind="feed")
    assert first.ok and first.body == b"<rss/>" and not first.not_modified
    assert (first.etag, first.last_modified) == (etag, modified)

    second = client.get(url, trusted=True, kind="feed", etag=first.etag, last_modified=first.last_modified)
    assert second.ok and second.not_modified and second.status == 304 and second.body == b""
    # The 304 omitted Last-Modified: the one we sent is still current.
    assert (second.etag, second.last_modified) == (etag, modified)
    assert hits(httpserver, "/feed") == 2
    sent = httpserver.log[1][0].headers
    assert sent["If-None-Match"] == etag and sent["If-Modified-Since"] == modified
    assert "If-None-Match" not in httpserver.log[0][0].headers


# --------------------------------------------------------------------------- retries


def test_retry_after_on_429_is_honoured(httpserver: HTTPServer, fast_settings: Any) -> None:
    httpserver.expect_oneshot_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_oneshot_request("/busy").respond_with_data(HTML, content_type="text/html")
    with HttpClient(fast_settings(backoff_max_s=5.0)) as client:
        started = time.monotonic()
        result = client.get(httpserver.url_for("/busy"), trusted=True)
    assert result.ok and result.attempts == 2
    assert time.monotonic() - started >= 0.95  # waited as asked, not the 10 ms backoff


def test_retry_after_is_capped_by_backoff_max(httpserver: HTTPServer, fast_settings: Any) -> None:
    httpserver.expect_oneshot_request("/busy").respond_with_data(
        "", status=503, headers={"Retry-After": "3600"}
    )
    httpserver.expect_oneshot_request("/busy").respond_with_data(HTML, content_type="text/html")
    with HttpClient(fast_settings(backoff_max_s=0.2)) as client:
        started = time.monotonic()
        result = client.get(httpserver.url_for("/busy"), trusted=True)
    assert result.ok and result.attempts == 2
    assert time.monotonic() - started < 3


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 01 May 2024 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 09:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None


def test_5xx_then_success(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_oneshot_request("/flaky").respond_with_data("down", status=503)
    httpserver.expect_oneshot_request("/flaky").respond_with_data("bad gateway", status=502)
    httpserver.expect_oneshot_request("/flaky").respond_with_data(HTML, content_type="text/html")
    result = client.get(httpserver.url_for("/flaky"), trusted=True)
    assert result.ok and result.attempts == 3 and result.body == HTML
    assert hits(httpserver, "/flaky") == 3


def test_5xx_gives_up_after_retries(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    result = client.get(httpserver.url_for("/down"), trusted=True)
    assert not result.ok
    assert result.error == "HTTP 503 after 3 attempts"  # 1 + retries(2)
    assert result.status == 503 and result.attempts == 3
    assert hits(httpserver, "/down") == 3


def test_4xx_is_not_retried(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    result = client.get(httpserver.url_for("/gone"), trusted=True)
    assert result.error == "HTTP 404" and result.status == 404 and result.attempts == 1


def test_connection_refused_is_an_error_record(fast_settings: Any) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with HttpClient(fast_settings(retries=1)) as client:
        result = client.get(f"http://127.0.0.1:{port}/", trusted=True)
    assert not result.ok and result.status is None and result.attempts == 2
    assert result.error is not None and result.error.startswith("connection failed")
    assert_one_line(result)


# --------------------------------------------------------------------------- timeouts


def test_slow_headers_past_read_timeout(httpserver: HTTPServer, fast_settings: Any) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(HTML, content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with HttpClient(fast_settings(read_timeout_s=0.2, retries=0)) as client:
        started = time.monotonic()
        result = client.get(httpserver.url_for("/slow"), trusted=True)
    assert result.error == "timed out after 0.2s"
    assert result.status is None and result.attempts == 1
    assert time.monotonic() - started < 0.9


def test_body_stalling_past_read_timeout(httpserver: HTTPServer, fast_settings: Any) -> None:
    def stalled(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b"<html><body>" + b"x" * 100
            time.sleep(1.0)
            yield b"</body></html>"

        return Response(body(), content_type="text/html")

    httpserver.expect_request("/stall").respond_with_handler(stalled)
    with HttpClient(fast_settings(read_timeout_s=0.2, retries=0)) as client:
        result = client.get(httpserver.url_for("/stall"), trusted=True)
    assert result.error == "timed out after 0.2s"
    assert_one_line(result)


def test_dripping_body_hits_total_timeout(httpserver: HTTPServer, fast_settings: Any) -> None:
    def drip(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(40):
                time.sleep(0.05)
                yield b"x"

        return Response(body(), content_type="text/html")

    httpserver.expect_request("/drip").respond_with_handler(drip)
    with HttpClient(fast_settings(read_timeout_s=1.0, total_timeout_s=0.4, retries=0)) as client:
        started = time.monotonic()
        result = client.get(httpserver.url_for("/drip"), trusted=True)
    assert result.error == "timed out after 0.4s (total)"
    assert time.monotonic() - started < 1.5


# --------------------------------------------------------------------------- size and content


def test_oversized_body_with_content_length(httpserver: HTTPServer, fast_settings: Any) -> None:
    httpserver.expect_request("/big").respond_with_data(b"a" * 300_000, content_type="text/html")
    with HttpClient(fast_settings(max_bytes=100_000)) as client:
        result = client.get(httpserver.url_for("/big"), trusted=True)
    assert result.error == "response larger than 100000 bytes"
    assert result.body == b"" and result.attempts == 1


def test_oversized_streamed_body_is_aborted(httpserver: HTTPServer, fast_settings: Any) -> None:
    sent = {"chunks": 0}

    def endless(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(2000):  # 128 MB if nobody stopped us
                sent["chunks"] += 1
                yield b"b" * 65536

        return Response(body(), content_type="text/html")  # no Content-Length

    httpserver.expect_request("/endless").respond_with_handler(endless)
    with HttpClient(fast_settings(max_bytes=200_000)) as client:
        result = client.get(httpserver.url_for("/endless"), trusted=True)
    assert result.error == "response larger than 200000 bytes"
    assert result.body == b""


def test_gzip_body_is_decoded(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(HTML), content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    result = client.get(httpserver.url_for("/gz"), trusted=True)
    assert result.ok and result.body == HTML


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_body_is_decoded(httpserver: HTTPServer, client: HttpClient, wbits: int) -> None:
    compressor = zlib.compressobj(wbits=wbits)
    data = compressor.compress(HTML) + compressor.flush()
    httpserver.expect_request("/deflate").respond_with_data(
        data, content_type="text/html", headers={"Content-Encoding": "deflate"}
    )
    result = client.get(httpserver.url_for("/deflate"), trusted=True)
    assert result.ok and result.body == HTML


def test_gzip_bomb_is_refused(httpserver: HTTPServer, fast_settings: Any) -> None:
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024), compresslevel=9)  # ~16 KB on the wire
    assert len(bomb) < 100_000
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    with HttpClient(fast_settings(max_bytes=1_000_000)) as client:
        result = client.get(httpserver.url_for("/bomb"), trusted=True)
    assert result.error == "response larger than 1000000 bytes after decompression"
    assert result.body == b""


def test_gzip_file_served_as_such_is_unpacked(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/feed.xml.gz").respond_with_data(
        gzip.compress(b"<rss/>"), content_type="application/x-gzip"
    )
    result = client.get(httpserver.url_for("/feed.xml.gz"), trusted=True, kind="feed")
    assert result.ok and result.body == b"<rss/>"


@pytest.mark.parametrize(
    ("content_type", "body", "error"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n....", "unsupported content type image/png"),
        ("application/pdf", b"%PDF-1.7 ...", "unsupported content type application/pdf"),
        (
            "application/octet-stream",
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "not a text document (content type application/octet-stream)",
        ),
        ("", b"\x00\x01\x02binary", "not a text document (content type missing)"),
        ("application/octet-stream", b"<?xml version='1.0'?><rss/>", None),
        ("text/plain", b"<rss/>", None),
    ],
)
def test_content_type_check(
    httpserver: HTTPServer, client: HttpClient, content_type: str, body: bytes, error: str | None
) -> None:
    response = Response(body)
    if content_type:
        response.headers["Content-Type"] = content_type
    else:
        del response.headers["Content-Type"]  # werkzeug adds text/plain by default
    httpserver.expect_request("/thing").respond_with_response(response)
    result = client.get(httpserver.url_for("/thing"), trusted=True, kind="feed")
    assert result.error == error
    assert result.ok is (error is None)


# --------------------------------------------------------------------------- robots.txt


def test_robots_disallow_and_single_fetch(httpserver: HTTPServer, fast_settings: Any) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\n", content_type="text/plain"
    )
    httpserver.expect_request("/public").respond_with_data(HTML, content_type="text/html")
    with HttpClient(fast_settings(obey_robots=True)) as client:
        refused = client.get(httpserver.url_for("/private/doc"), trusted=True)
        allowed = client.get(httpserver.url_for("/public"), trusted=True)
        many = client.fetch_many(
            [FetchRequest(httpserver.url_for(f"/private/{i}"), trusted=True) for i in range(3)]
        )
    assert refused.error == "disallowed by robots.txt" and refused.status is None
    assert allowed.ok
    assert [r.error for r in many] == ["disallowed by robots.txt"] * 3
    assert hits(httpserver, "/robots.txt") == 1  # cached per host
    assert hits(httpserver, "/private/doc") == 0  # never requested


def test_robots_rules_for_our_user_agent(httpserver: HTTPServer, fast_settings: Any) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: diplowatch-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n", content_type="text/plain"
    )
    with HttpClient(fast_settings(obey_robots=True)) as client:
        result = client.get(httpserver.url_for("/anything"), trusted=True)
    assert result.error == "disallowed by robots.txt"


@pytest.mark.parametrize("status", [404, 403, 500])
def test_robots_errors_allow(httpserver: HTTPServer, fast_settings: Any, status: int) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("nope", status=status)
    httpserver.expect_request("/page").respond_with_data(HTML, content_type="text/html")
    with HttpClient(fast_settings(obey_robots=True)) as client:
        result = client.get(httpserver.url_for("/page"), trusted=True)
    assert result.ok
    assert hits(httpserver, "/robots.txt") == 1  # not retried: an error simply means "allowed"


def test_robots_unreachable_allows(httpserver: HTTPServer, fast_settings: Any) -> None:
    def hang(request: Request) -> Response:
        time.sleep(0.6)
        return Response("User-agent: *\nDisallow: /\n")

    httpserver.expect_request("/robots.txt").respond_with_handler(hang)
    httpserver.expect_request("/page").respond_with_data(HTML, content_type="text/html")
    with HttpClient(fast_settings(obey_robots=True, read_timeout_s=0.2)) as client:
        result = client.get(httpserver.url_for("/page"), trusted=True)
    assert result.ok


# --------------------------------------------------------------------------- redirects and SSRF


def test_redirect_is_followed(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data(HTML, content_type="text/html")
    result = client.get(httpserver.url_for("/old"), trusted=False)
    assert result.ok and result.body == HTML
    assert result.url == httpserver.url_for("/old")
    assert result.final_url == httpserver.url_for("/new")
    assert result.redirects == [httpserver.url_for("/new")]


def test_redirect_loop_is_detected(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    result = client.get(httpserver.url_for("/a"), trusted=True)
    assert result.error == f"redirect loop at {httpserver.url_for('/a')}"
    assert hits(httpserver, "/a") == 1 and hits(httpserver, "/b") == 1


def test_redirect_chain_is_bounded(httpserver: HTTPServer, fast_settings: Any) -> None:
    for i in range(10):
        httpserver.expect_request(f"/hop{i}").respond_with_data(
            "", status=307, headers={"Location": f"/hop{i + 1}"}
        )
    with HttpClient(fast_settings(max_redirects=3)) as client:
        result = client.get(httpserver.url_for("/hop0"), trusted=True)
    assert result.error == "too many redirects (more than 3)"
    assert len(result.redirects) == 3


def test_redirect_to_private_address_refused_for_untrusted_link(
    httpserver: HTTPServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = guard.resolve_host

    def fake(host: str, port: int) -> list[str]:
        return ["10.0.0.5"] if host == "intranet.example" else real(host, port)

    monkeypatch.setattr(guard, "resolve_host", fake)
    httpserver.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": "http://intranet.example/admin"}
    )
    result = client.get(httpserver.url_for("/go"), trusted=False)
    assert result.error == "refused: link resolves to private address 10.0.0.5"
    assert result.final_url == "http://intranet.example/admin"
    assert hits(httpserver, "/go") == 1


def test_cross_host_redirect_from_trusted_url_is_checked(httpserver: HTTPServer, client: HttpClient) -> None:
    # The operator trusted this server, not wherever it redirects to (cloud metadata here).
    httpserver.expect_request("/feed").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    result = client.get(httpserver.url_for("/feed"), trusted=True)
    assert result.error == "refused: link resolves to link-local address 169.254.169.254"


def test_redirect_to_other_scheme_refused(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    result = client.get(httpserver.url_for("/x"), trusted=True)
    assert result.error == "refused: unsupported URL scheme 'file'"


def test_untrusted_loopback_link_needs_allow_list(httpserver: HTTPServer, fast_settings: Any) -> None:
    httpserver.expect_request("/p").respond_with_data(HTML, content_type="text/html")
    url = httpserver.url_for("/p")
    with HttpClient(fast_settings(allow_hosts=())) as client:
        refused = client.get(url, trusted=False)
        operator = client.get(url, trusted=True)
    assert refused.error == "refused: link resolves to loopback address 127.0.0.1"
    assert operator.ok
    assert hits(httpserver, "/p") == 1


def test_untrusted_name_connects_to_the_vetted_address(
    httpserver: HTTPServer, fast_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # news.test resolves (in this test only) to 127.0.0.1, which is allow-listed for it: the
    # client must connect to that vetted address and still send the real name in Host.
    monkeypatch.setattr(guard, "resolve_host", lambda host, port: ["127.0.0.1"])
    httpserver.expect_request("/story").respond_with_data(HTML, content_type="text/html")
    with HttpClient(fast_settings(allow_hosts=("news.test",))) as client:
        result = client.get(f"http://news.test:{httpserver.port}/story", trusted=False)
    assert result.ok, result.error
    assert httpserver.log[0][0].headers["Host"] == f"news.test:{httpserver.port}"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.com/feed", "refused: unsupported URL scheme 'ftp'"),
        ("file:///etc/passwd", "refused: unsupported URL scheme 'file'"),
        ("javascript:alert(1)", "refused: unsupported URL scheme 'javascript'"),
        ("", "refused: unsupported URL scheme 'none'"),
        ("http://", "refused: URL has no host"),
        ("http://[::1", None),
        ("http://127.0.0.1:99999/", None),
    ],
)
def test_bad_urls_are_error_records(client: HttpClient, url: str, error: str | None) -> None:
    result = client.get(url, trusted=True)
    assert not result.ok
    assert_one_line(result)
    if error is not None:
        assert result.error == error


# --------------------------------------------------------------------------- concurrency and politeness


def test_fetch_many_keeps_order_and_spaces_requests_to_a_host(
    httpserver: HTTPServer, fast_settings: Any
) -> None:
    stamps: list[float] = []
    lock = threading.Lock()

    def stamp(request: Request) -> Response:
        with lock:
            stamps.append(time.monotonic())
        return Response(request.path.encode(), content_type="text/plain")

    for i in range(4):
        httpserver.expect_request(f"/n{i}").respond_with_handler(stamp)
    with HttpClient(fast_settings(per_host_delay_s=0.15, per_host_concurrency=4)) as client:
        results = client.fetch_many(
            [FetchRequest(httpserver.url_for(f"/n{i}"), trusted=True) for i in range(4)]
        )
    assert [r.body for r in results] == [f"/n{i}".encode() for i in range(4)]
    gaps = [b - a for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)]
    assert len(gaps) == 3 and min(gaps) >= 0.12


def test_per_host_concurrency_limit(httpserver: HTTPServer, fast_settings: Any) -> None:
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    def busy(request: Request) -> Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.15)
        with lock:
            state["now"] -= 1
        return Response(b"ok", content_type="text/plain")

    for i in range(6):
        httpserver.expect_request(f"/c{i}").respond_with_handler(busy)
    with HttpClient(fast_settings(per_host_concurrency=2, global_concurrency=6)) as client:
        results = client.fetch_many(
            [FetchRequest(httpserver.url_for(f"/c{i}"), trusted=True) for i in range(6)]
        )
    assert all(r.ok for r in results)
    assert state["max"] == 2


def test_fetch_many_empty(client: HttpClient) -> None:
    assert client.fetch_many([]) == []


# --------------------------------------------------------------------------- archive


def test_body_is_archived(httpserver: HTTPServer, fast_settings: Any, tmp_path: Path) -> None:
    httpserver.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    archive = RawArchive(tmp_path / "archive")
    with HttpClient(fast_settings(), archive=archive) as client:
        result = client.get(httpserver.url_for("/a"), trusted=True)
    assert result.ok and result.archive_path is not None and result.archive_error is None
    assert archive.load(result.archive_path) == HTML


def test_archive_failure_is_recorded_but_body_returned(
    httpserver: HTTPServer, fast_settings: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the archive directory should be")
    httpserver.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with HttpClient(fast_settings(), archive=RawArchive(blocker)) as client:
        result = client.get(httpserver.url_for("/a"), trusted=True)
    assert result.ok and result.body == HTML
    assert result.archive_path is None
    assert result.archive_error is not None and "\n" not in result.archive_error


# --------------------------------------------------------------------------- decoding helpers


def test_decode_content_edge_cases() -> None:
    from diplowatch.fetch.http import _BodyError, decode_content

    # Two gzip members back to back are one body.
    assert decode_content(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip", 100) == b"abcd"
    # Plain text mislabelled as gzip is tolerated, as browsers do.
    assert decode_content(b"<rss/>", "gzip", 100) == b"<rss/>"
    assert decode_content(b"<rss/>", "identity", 100) == b"<rss/>"
    with pytest.raises(_BodyError, match="corrupt gzip body"):
        decode_content(
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff", "gzip", 100
        )  # bad block type
    with pytest.raises(_BodyError, match="unsupported content-encoding br"):
        decode_content(b"\x0b\x02\x80", "br", 100)
    with pytest.raises(_BodyError, match="larger than 10 bytes after decompression"):
        decode_content(gzip.compress(b"x" * 11), "gzip", 10)
    assert decode_content(gzip.compress(b"x" * 10), "gzip", 10) == b"x" * 10
