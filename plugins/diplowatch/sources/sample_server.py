"""A small HTTP server on 127.0.0.1 for the offline sample (data/sample/), used by the demo and the tests.

Feeds and pages in data/sample/ link to the placeholder base
http://diplowatch-sample.invalid/; the server rewrites it to its own address
as it serves, so the real fetch path (HTTP, feed parsing, link following)
runs unchanged. It answers conditional GETs (ETag / Last-Modified → 304),
counts requests per path (tests read the counts) and can serve extra pages.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from diplowatch.settings import project_root

PLACEHOLDER = b"http://diplowatch-sample.invalid"
FIXED_LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)
_TYPES = {".rss": "application/rss+xml", ".atom": "application/atom+xml", ".xml": "application/xml",
          ".json": "application/feed+json", ".html": "text/html; charset=utf-8"}


def sample_dir() -> Path:
    return project_root() / "data" / "sample"


class SampleServer:
    """`with SampleServer() as srv: srv.base_url` — serves `root` until the block ends."""

    def __init__(self, root: Path | None = None, port: int = 0, extra: dict[str, tuple[bytes, str]] | None = None):
        self.root = (root or sample_dir()).resolve()
        self.extra: dict[str, tuple[bytes, str]] = dict(extra or {})
        self.requests: Counter[str] = Counter()
        self.conditional_hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0].split("#", 1)[0]
                with server._lock:
                    server.requests[path] += 1
                found = server.lookup(path)
                if found is None:
                    self.send_error(404, "not found")
                    return
                body, ctype = found
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                if self.headers.get("If-None-Match") == etag or (
                    self.headers.get("If-Modified-Since") == FIXED_LAST_MODIFIED and not self.headers.get("If-None-Match")
                ):
                    with server._lock:
                        server.conditional_hits[path] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", FIXED_LAST_MODIFIED)
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def lookup(self, path: str) -> tuple[bytes, str] | None:
        if path in self.extra:
            body, ctype = self.extra[path]
            return body.replace(PLACEHOLDER, self.base_url.encode()), ctype
        if path == "/robots.txt":
            return b"User-agent: *\nDisallow: /private/\n", "text/plain"
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        body = target.read_bytes().replace(PLACEHOLDER, self.base_url.encode())
        ctype = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return body, ctype

    def start(self) -> SampleServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sample-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SampleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(port: int) -> None:
    """Run the sample server in the foreground (used by `diplowatch up`)."""
    srv = SampleServer(port=port)
    print(f"sample feeds on {srv.base_url}/feeds/", flush=True)
    srv._httpd.serve_forever()
