"""Real faults on 127.0.0.1: a news server that misbehaves on demand and a TCP proxy in front of PostgreSQL.

`NewsServer` serves feeds and article pages from a dict of `Route`s and can answer 500, hang past
the client's read timeout, drop the connection mid-body, stream a body of any size, redirect, and
answer conditional GETs with 304. `PgProxy` forwards TCP connections to the warehouse (TCP or the
embedded server's Unix socket) and can refuse connections (`down()`), accept them again (`up()`)
and cut every open connection (`cut()`) — the network faults a task meets in production.
Nothing here connects anywhere but 127.0.0.1 and the warehouse's own socket.
"""

from __future__ import annotations

import hashlib
import html
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg2.extensions


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0  # sleep before answering (a server hanging past the read timeout)
    drop: bool = False  # send headers and half the body, then close the connection
    stream: Callable[[], Iterator[bytes]] | None = None  # chunked body of any size, no Content-Length
    conditional: bool = True  # answer If-None-Match with 304
    on_request: Callable[[], None] | None = None  # runs before the answer (inject a fault elsewhere)


class NewsServer:
    """`with NewsServer() as srv:` — routes in `srv.routes`, request counts in `srv.requests`."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.hosts: Counter[str] = Counter()  # Host headers seen (redirect tests)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("#", 1)[0]
                with server._lock:
                    server.requests[path] += 1
                    server.hosts[self.headers.get("Host", "")] += 1
                route = server.routes.get(path) or server.routes.get(path.split("?", 1)[0])
                if route is None:
                    if path == "/robots.txt":
                        route = Route(b"User-agent: *\nAllow: /\n", "text/plain")
                    else:
                        route = Route(b"not found", "text/plain", status=404)
                try:
                    self._answer(path, route)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _answer(self, path: str, route: Route) -> None:
                if route.on_request is not None:
                    route.on_request()
                if route.hang_s:
                    time.sleep(route.hang_s)
                etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if route.conditional and route.status == 200 and self.headers.get("If-None-Match") == etag:
                    with server._lock:
                        server.not_modified[path] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.ctype)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.stream is not None:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for chunk in route.stream():
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if route.conditional and route.status == 200:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(route.body)))
                if route.drop:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.end_headers()
                self.wfile.write(route.body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def __enter__(self) -> NewsServer:
        threading.Thread(target=self._httpd.serve_forever, name="news-server", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


# --------------------------------------------------------------------------- content

COUNTRY_PAIRS = [
    ("Russian President Vladimir Putin", "Chinese President Xi Jinping", "Beijing"),
    ("French President Emmanuel Macron", "German Chancellor Olaf Scholz", "Berlin"),
    ("US Secretary of State Antony Blinken", "Chinese Foreign Minister Wang Yi", "Beijing"),
    ("Indian Prime Minister Narendra Modi", "Japanese Prime Minister Fumio Kishida", "Tokyo"),
    ("Turkish President Recep Tayyip Erdogan", "Ukrainian President Volodymyr Zelensky", "Istanbul"),
    ("Brazilian President Luiz Inacio Lula da Silva", "Argentine President Javier Milei", "Brasilia"),
]
FILLER = (
    "The talks covered trade, energy and security, officials said after the meeting. "
    "Both delegations described the discussions as constructive and agreed to meet again next year. "
    "Analysts said the visit signalled a warming of relations after months of tension between the two capitals."
)


def article_html(i: int, *, title: str | None = None, extra_text: str = "", lang: str = "en",
                 published: str | None = None, canonical: str | None = None) -> bytes:
    """A news page with a diplomatic event in it; `i` picks the actors and the day, so pages differ."""
    a, b, city = COUNTRY_PAIRS[i % len(COUNTRY_PAIRS)]
    day = 1 + i % 27
    month = 1 + (i // 27) % 12
    title = title if title is not None else f"{a.split()[-1]} meets {b.split()[-1]} in {city} ({i})"
    published = published or f"2024-{month:02d}-{day:02d}T08:00:00+00:00"
    paras = [
        f"{a} met {b} in {city} on Tuesday, the foreign ministry said in a statement number {i}.",
        f"{FILLER} Report reference {i}-{hashlib.sha256(str(i).encode()).hexdigest()[:12]}.",
        extra_text,
    ]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras if p)
    canon = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'{canon}<meta property="article:published_time" content="{html.escape(published)}"></head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{html.escape(title)}</h1>{body}</article>"
        f"<footer>All rights reserved.</footer></body></html>"
    ).encode()


def rss(items: list[tuple[str, str]], *, title: str = "Test feed", pub: str = "Tue, 02 Jan 2024 08:00:00 GMT") -> bytes:
    """An RSS 2.0 feed of (link, title) items; link and title are XML-escaped here."""
    parts = [
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>"
        f"<guid>{html.escape(link)}</guid><pubDate>{pub}</pubDate></item>"
        for link, t in items
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://127.0.0.1/</link><description>test</description>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode("utf-8")


# --------------------------------------------------------------------------- PostgreSQL proxy


def pg_target(url: str) -> tuple[Any, str]:
    """(socket address, family) of the PostgreSQL server a libpq URL points at."""
    params = psycopg2.extensions.parse_dsn(url)
    host = params.get("host") or "/tmp"
    port = int(params.get("port") or 5432)
    if host.startswith("/"):
        return f"{host}/.s.PGSQL.{port}", "unix"
    return (host, port), "tcp"


def via_proxy(url: str, port: int) -> str:
    """The same database as `url`, reached through 127.0.0.1:`port` (user and password kept)."""
    params = psycopg2.extensions.parse_dsn(url)
    user = params.get("user") or "postgres"
    password = params.get("password")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{auth}127.0.0.1:{port}/{params['dbname']}"


class PgProxy:
    """A TCP proxy on 127.0.0.1 in front of the warehouse, with a switch and a pair of scissors."""

    def __init__(self, target_url: str) -> None:
        self.target, self.family = pg_target(target_url)
        self.target_url = target_url
        self._listener: socket.socket | None = None
        self.port = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self.accepted = 0
        self.refused_since_down = 0
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return via_proxy(self.target_url, self.port)

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept_loop, args=(sock,), daemon=True, name="pg-proxy").start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                if self.family == "unix":
                    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                else:
                    upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                upstream.connect(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.accepted += 1
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass
            with self._lock:
                self._pairs = [p for p in self._pairs if p != (a, b)]

    def up(self) -> PgProxy:
        if self._listener is None:
            self._listen()
        return self

    def down(self) -> None:
        """Stop listening: new connections are refused (ECONNREFUSED), as with a stopped server."""
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() and stops listening
            except OSError:
                pass
            self._listener.close()
            self._listener = None

    def cut(self) -> int:
        """Close every open connection abruptly (RST); returns how many were cut."""
        with self._lock:
            pairs = list(self._pairs)
        for a, b in pairs:
            for s in (a, b):
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(pairs)

    def __enter__(self) -> PgProxy:
        if not self.port:
            # Reserve a port first so that down()/up() reuse it.
            self._listen()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()
        self.cut()
