"""HTTP client for feeds and article pages: polite, bounded, and never raising for network trouble.

One `HttpClient` per run. It obeys robots.txt (fetched once per host), spaces and limits
requests per host, sends conditional GETs, retries transient failures with backoff, caps
response sizes (compressed and decompressed), refuses binary content, follows redirects
itself so that every hop passes the SSRF guard, and can keep each raw body in the archive.
Every problem comes back as a one-line `FetchResult.error`.

Built on urllib3 rather than the stdlib because we need, all at once: separate connect and
read timeouts; streaming the raw (still compressed) body so both size caps hold; keep-alive
connection pools per host; and connecting to an already-vetted IP address while sending the
real name in Host/SNI (closes the DNS-rebinding gap). urllib.request hides redirects and
decoding from us and http.client has no pooling. urllib3's own retries and redirects are
switched off: the policy below is ours.
"""

from __future__ import annotations

import random
import threading
import time
import urllib.robotparser
import zlib
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from diplowatch.fetch import guard
from diplowatch.fetch.archive import ArchiveError, RawArchive
from diplowatch.settings import HttpSettings

FEED = "feed"
PAGE = "page"
ROBOTS = "robots"

_ACCEPT = {
    FEED: "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    PAGE: "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    ROBOTS: "text/plain, */*;q=0.5",
}
# Only what we can decode ourselves with a size cap (no brotli/zstd decoder is installed).
_ACCEPT_ENCODING = "gzip, deflate"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 501/505 say the server will never do it: retrying is pointless.
_NON_RETRYABLE_5XX = frozenset({501, 505})
# RFC 9309 asks crawlers to read at least 500 KiB of robots.txt; more is not worth keeping.
_ROBOTS_MAX_BYTES = 512 * 1024
_CHUNK = 64 * 1024
_DRAIN_LIMIT = 64 * 1024

_BINARY_MAJOR_TYPES = frozenset({"image", "audio", "video", "font", "model"})
_BINARY_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/x-zip-compressed",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/vnd.rar",
        "application/msword",
        "application/x-shockwave-flash",
        "application/x-msdownload",
        "application/wasm",
    }
)
_GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"RIFF",
    b"\x7fELF",
    b"MZ",
    b"wOFF",
)


@dataclass(frozen=True)
class FetchRequest:
    """One URL to fetch with `HttpClient.fetch_many`; fields as for `HttpClient.get`."""

    url: str
    trusted: bool
    etag: str | None = None
    last_modified: str | None = None
    accept: str | None = None
    kind: str = PAGE


@dataclass
class FetchResult:
    """What came back for one requested URL; `error` holds any failure as one line."""

    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    attempts: int = 0
    elapsed_s: float = 0.0
    archive_path: str | None = None
    archive_error: str | None = None
    redirects: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True for a usable answer: a 2xx body, or 304 Not Modified."""
        if self.error is not None:
            return False
        return self.not_modified or (self.status is not None and 200 <= self.status < 300)

    @property
    def content_type(self) -> str | None:
        """The Content-Type header as sent (with parameters), or None."""
        return self.headers.get("content-type")


@dataclass
class _Attempt:
    """One request/response exchange (a single attempt, a single hop)."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    connect_failed: bool = False  # nothing reached the server: another address may work


class _BodyError(Exception):
    """The response body was refused (too large, undecodable, binary)."""


class _HostGate:
    """Per-host politeness: at most `limit` requests at once, starts spaced by `delay` seconds."""

    def __init__(self, limit: int, delay: float) -> None:
        self.semaphore = threading.BoundedSemaphore(max(1, limit))
        self.lock = threading.Lock()
        self.next_start = 0.0
        self.delay = max(0.0, delay)

    def reserve(self) -> float:
        """Book the next start slot; return how long to wait for it."""
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.delay
            return start - now


@dataclass
class _RobotsEntry:
    rules: urllib.robotparser.RobotFileParser | None  # None = everything allowed
    fetched_at: float


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _secs(value: float) -> str:
    return f"{value:g}s"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def looks_binary(body: bytes) -> bool:
    """True when the first bytes look like a binary format rather than text."""
    head = body[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False  # BOM-marked text (UTF-16 legitimately contains NUL bytes)
    if head.startswith(_BINARY_MAGIC):
        return True
    return b"\x00" in head


def _inflate(data: bytes, wbits: int, cap: int) -> bytes:
    """Decompress `data`, refusing to produce more than `cap` bytes (gzip bombs)."""
    out = bytearray()
    remaining = data
    while remaining:
        decomp = zlib.decompressobj(wbits)
        buf = remaining
        while buf:
            out += decomp.decompress(buf, cap + 1 - len(out))
            if len(out) > cap:
                raise _BodyError(f"response larger than {cap} bytes after decompression")
            if decomp.eof:
                break
            if not decomp.unconsumed_tail:
                break
            buf = decomp.unconsumed_tail
        if not decomp.eof:
            out += decomp.flush(cap + 1 - len(out))
            if len(out) > cap:
                raise _BodyError(f"response larger than {cap} bytes after decompression")
            break
        # A gzip stream may hold several members; anything else after the end is trailing junk.
        remaining = decomp.unused_data if wbits >= 16 and decomp.unused_data.startswith(b"\x1f\x8b") else b""
    return bytes(out)


def decode_content(body: bytes, content_encoding: str | None, cap: int) -> bytes:
    """Undo Content-Encoding (gzip, deflate) with a cap on the decompressed size.

    Raises _BodyError for an unsupported coding or output larger than `cap`.
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    for coding in reversed(codings):
        try:
            if coding in ("gzip", "x-gzip"):
                body = _inflate(body, 16 + zlib.MAX_WBITS, cap)
            elif coding == "deflate":
                # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
                try:
                    body = _inflate(body, zlib.MAX_WBITS, cap)
                except zlib.error:
                    body = _inflate(body, -zlib.MAX_WBITS, cap)
            else:
                raise _BodyError(f"unsupported content-encoding {coding}")
        except zlib.error as exc:
            # Some servers label plain text as gzip; browsers tolerate that when it is text.
            if looks_binary(body):
                raise _BodyError(f"corrupt {coding} body: {exc}") from exc
    return body


def check_content_type(content_type: str | None, body: bytes) -> str | None:
    """A one-line reason when the body is binary (not a feed or page), else None."""
    media = _media_type(content_type)
    major = media.split("/", 1)[0]
    if major in _BINARY_MAJOR_TYPES or media in _BINARY_TYPES:
        return f"unsupported content type {media}"
    if media.startswith("application/vnd.") and not media.endswith(("+xml", "+json")):
        return f"unsupported content type {media}"
    if body and looks_binary(body):
        return f"not a text document (content type {media or 'missing'})"
    return None


class HttpClient:
    """Polite, bounded HTTP GETs for feeds and pages. Thread-safe; share one per run.

    `get` and `fetch_many` never raise for network, HTTP or content problems: they return
    FetchResult records with `error` set.
    """

    def __init__(self, settings: HttpSettings, *, archive: RawArchive | None = None) -> None:
        self.settings = settings
        self.archive = archive
        self._lock = threading.Lock()
        self._pools: dict[tuple[str, str, int, str | None], urllib3.HTTPConnectionPool] = {}
        self._gates: dict[str, _HostGate] = {}
        self._global = threading.BoundedSemaphore(max(1, settings.global_concurrency))
        self._robots: dict[tuple[str, str, int], _RobotsEntry] = {}
        self._robots_locks: defaultdict[tuple[str, str, int], threading.Lock] = defaultdict(threading.Lock)
        self._timeout = urllib3.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            total=settings.total_timeout_s,
        )

    # ----------------------------------------------------------------- public API

    def get(
        self,
        url: str,
        *,
        trusted: bool,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        kind: str = PAGE,
    ) -> FetchResult:
        """GET `url` (kind "feed" or "page") following redirects; never raises.

        `trusted` is True for operator-given URLs, False for links found in fetched content
        (those must not resolve to private addresses). `etag`/`last_modified` come from the
        previous fetch and make the request conditional: a 304 gives not_modified=True.
        """
        started = time.monotonic()
        try:
            result = self._get(url, trusted, etag, last_modified, accept, kind)
        except Exception as exc:  # the safety net: a bug here must not kill a whole ingest run
            result = FetchResult(
                url=url, final_url=url, error=_one_line(f"internal error: {type(exc).__name__}: {exc}")
            )
        result.elapsed_s = round(time.monotonic() - started, 4)
        return result

    def fetch_many(self, requests: list[FetchRequest]) -> list[FetchResult]:
        """Fetch all `requests` concurrently (within the global and per-host limits).

        Results come back in the order of `requests`.
        """
        if not requests:
            return []
        # Submit round-robin across hosts so that a long queue for one slow host does not
        # occupy every worker while other hosts wait.
        by_host: dict[str, list[int]] = defaultdict(list)
        for i, req in enumerate(requests):
            by_host[(urlsplit(req.url).hostname or "").lower()].append(i)
        order: list[int] = []
        queues = list(by_host.values())
        while queues:
            order.extend(q.pop(0) for q in queues)
            queues = [q for q in queues if q]
        results: list[FetchResult | None] = [None] * len(requests)
        workers = max(1, min(self.settings.global_concurrency, len(requests)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="diplowatch-fetch") as pool:
            futures = {
                i: pool.submit(
                    self.get,
                    requests[i].url,
                    trusted=requests[i].trusted,
                    etag=requests[i].etag,
                    last_modified=requests[i].last_modified,
                    accept=requests[i].accept,
                    kind=requests[i].kind,
                )
                for i in order
            }
            for i, future in futures.items():
                results[i] = future.result()
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Close pooled connections."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- redirects

    def _get(
        self,
        url: str,
        trusted: bool,
        etag: str | None,
        last_modified: str | None,
        accept: str | None,
        kind: str,
    ) -> FetchResult:
        result = FetchResult(url=url, final_url=url)
        headers = {"Accept": accept or _ACCEPT.get(kind, _ACCEPT[PAGE])}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, current_trusted = url, trusted
        seen = {url}
        while True:
            result.final_url = current
            # Nothing has answered for this URL yet (a redirect's status is not its status).
            result.status, result.headers = None, {}
            verdict = guard.vet_url(current, trusted=current_trusted, allow_hosts=self.settings.allow_hosts)
            if verdict.reason is not None:
                result.error = verdict.reason
                return result
            if self.settings.obey_robots and not self._robots_allow(current, current_trusted):
                result.error = "disallowed by robots.txt"
                return result
            attempt, count = self._fetch_with_retries(
                current, verdict, headers, kind, self.settings.max_bytes
            )
            result.attempts += count
            result.status = attempt.status
            result.headers = attempt.headers
            if attempt.error is not None:
                result.error = attempt.error
                return result
            status = attempt.status or 0
            if status in _REDIRECT_STATUSES:
                location = attempt.headers.get("location", "").strip()
                if not location:
                    result.error = f"HTTP {status} redirect without a Location header"
                    return result
                target = urljoin(current, location).split("#", 1)[0]
                if target in seen:
                    result.error = _one_line(f"redirect loop at {target}")
                    return result
                if len(result.redirects) >= self.settings.max_redirects:
                    result.error = f"too many redirects (more than {self.settings.max_redirects})"
                    return result
                result.redirects.append(target)
                seen.add(target)
                # The operator vouched for the URL they gave, not for wherever its server
                # sends us: a hop to another host is judged like a link found in content.
                if current_trusted and (urlsplit(target).hostname or "").lower() != verdict.host:
                    current_trusted = False
                current = target
                continue
            return self._finish(result, attempt, etag, last_modified, kind)

    def _finish(
        self, result: FetchResult, attempt: _Attempt, etag: str | None, last_modified: str | None, kind: str
    ) -> FetchResult:
        status = attempt.status or 0
        # A blank validator is no validator (sending it back would be meaningless).
        result.etag = attempt.headers.get("etag", "").strip() or None
        result.last_modified = attempt.headers.get("last-modified", "").strip() or None
        if status == 304:
            result.not_modified = True
            # A 304 may omit the validators; the ones we sent are still current.
            result.etag = result.etag or etag
            result.last_modified = result.last_modified or last_modified
            return result
        if not 200 <= status < 300:
            result.error = f"HTTP {status}"
            return result
        body = attempt.body
        content_type = attempt.headers.get("content-type")
        if kind != ROBOTS:
            # A gzip file served as such (feed.xml.gz) rather than gzip transfer coding.
            if body.startswith(b"\x1f\x8b") and (
                _media_type(content_type) in _GZIP_TYPES or urlsplit(result.final_url).path.endswith(".gz")
            ):
                try:
                    body = decode_content(body, "gzip", self.settings.max_bytes)
                except _BodyError as exc:
                    result.error = str(exc)
                    return result
            reason = check_content_type(content_type, body)
            if reason is not None:
                result.error = reason
                return result
        result.body = body
        if self.archive is not None and body:
            try:
                result.archive_path = self.archive.store(body)
            except ArchiveError as exc:
                result.archive_error = _one_line(str(exc))
        return result

    # ----------------------------------------------------------------- retries

    def _fetch_with_retries(
        self, url: str, verdict: guard.GuardVerdict, headers: dict[str, str], kind: str, max_bytes: int
    ) -> tuple[_Attempt, int]:
        """Up to 1 + settings.retries attempts; returns the last attempt and the count."""
        max_attempts = 1 + max(0, self.settings.retries) if kind != ROBOTS else 1
        attempt = _Attempt()
        number = 0
        for number in range(1, max_attempts + 1):
            attempt = self._attempt(url, verdict, headers, max_bytes)
            if not attempt.retryable:
                return attempt, number
            if number < max_attempts:
                time.sleep(self._backoff(number, attempt.retry_after))
        if number > 1:
            if attempt.error is None:
                attempt.error = f"HTTP {attempt.status} after {number} attempts"
            else:
                attempt.error = f"{attempt.error} ({number} attempts)"
        elif attempt.error is None:
            attempt.error = f"HTTP {attempt.status}"
        return attempt, number

    def _backoff(self, number: int, retry_after: float | None) -> float:
        """Seconds before attempt `number + 1`: the server's Retry-After, or exponential with jitter."""
        cap = self.settings.backoff_max_s
        if retry_after is not None:
            return min(cap, retry_after)
        delay = min(cap, self.settings.backoff_base_s * (2 ** (number - 1)))
        # "Equal jitter": at least half the delay, so that clients that failed together spread out.
        return delay / 2 + random.uniform(0, delay / 2)

    # ----------------------------------------------------------------- one exchange

    def _attempt(
        self, url: str, verdict: guard.GuardVerdict, headers: dict[str, str], max_bytes: int
    ) -> _Attempt:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = verdict.host
        port = parts.port or (443 if scheme == "https" else 80)
        target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._") + (
            "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~-._?") if parts.query else ""
        )
        send = {
            "User-Agent": self.settings.user_agent,
            "Accept-Encoding": _ACCEPT_ENCODING,
            **headers,
        }
        # Untrusted URLs connect to the address the guard vetted, not to a fresh lookup.
        addresses: list[str | None] = list(verdict.addresses) or [None]
        with self._slot(host):
            deadline = time.monotonic() + self.settings.total_timeout_s
            last: _Attempt = _Attempt(error="no address to connect to")
            for address in addresses:
                last = self._exchange(scheme, host, port, address, target, send, deadline, max_bytes)
                if not last.connect_failed:
                    return last
                # Nothing reached the server: try the next vetted address before retrying.
            return last

    def _exchange(
        self,
        scheme: str,
        host: str,
        port: int,
        address: str | None,
        target: str,
        headers: dict[str, str],
        deadline: float,
        max_bytes: int,
    ) -> _Attempt:
        if address is not None:
            default_port = 443 if scheme == "https" else 80
            shown = f"[{host}]" if ":" in host else host
            headers = {**headers, "Host": shown if port == default_port else f"{shown}:{port}"}
        try:
            pool = self._pool(scheme, host, port, address)
            response = pool.urlopen(
                "GET",
                target,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=False,
                assert_same_host=False,
                timeout=self._timeout,
            )
        # Order matters: NameResolutionError < NewConnectionError < ConnectTimeoutError in urllib3.
        except NameResolutionError:
            return _Attempt(error=f"could not resolve host {host}")
        except NewConnectionError as exc:
            reason = str(exc).split("Failed to establish a new connection:", 1)[-1]
            return _Attempt(
                error=_one_line(f"connection failed: {reason.strip()}"), retryable=True, connect_failed=True
            )
        except ConnectTimeoutError:
            return _Attempt(
                error=f"connect timed out after {_secs(self.settings.connect_timeout_s)}",
                retryable=True,
                connect_failed=True,
            )
        except ReadTimeoutError:
            return _Attempt(error=f"timed out after {_secs(self.settings.read_timeout_s)}", retryable=True)
        except SSLError as exc:
            return _Attempt(error=_one_line(f"TLS error: {exc}"))
        except ProtocolError as exc:
            return _Attempt(error=_one_line(f"connection broken: {exc}"), retryable=True)
        except (LocationParseError, ValueError) as exc:
            return _Attempt(error=_one_line(f"refused: malformed URL ({exc})"))
        except (HTTPError, OSError) as exc:
            return _Attempt(error=_one_line(f"connection failed: {exc}"), retryable=True)

        try:
            status = response.status
            resp_headers = {k.lower(): response.headers[k] for k in response.headers}
            attempt = _Attempt(status=status, headers=resp_headers)
            if status == 429 or (500 <= status < 600 and status not in _NON_RETRYABLE_5XX):
                attempt.retryable = True
                attempt.retry_after = parse_retry_after(resp_headers.get("retry-after"))
                self._discard(response)
                return attempt
            if not 200 <= status < 300:
                self._discard(response)
                return attempt
            try:
                raw = self._read_capped(response, deadline, max_bytes)
                attempt.body = decode_content(raw, resp_headers.get("content-encoding"), max_bytes)
            except _BodyError as exc:
                attempt.error = str(exc)
            except _DeadlineExceeded:
                attempt.error = f"timed out after {_secs(self.settings.total_timeout_s)} (total)"
                attempt.retryable = True
            return attempt
        except ReadTimeoutError:
            return _Attempt(error=f"timed out after {_secs(self.settings.read_timeout_s)}", retryable=True)
        except (ProtocolError, HTTPError, OSError) as exc:
            return _Attempt(error=_one_line(f"connection broken while reading: {exc}"), retryable=True)
        finally:
            response.release_conn()

    def _read_capped(self, response: Any, deadline: float, max_bytes: int) -> bytes:
        """Read the raw body, aborting past `max_bytes` or the total deadline."""
        length = response.headers.get("content-length")
        if length and length.strip().isdigit() and int(length) > max_bytes:
            response.close()  # do not read what we are going to refuse
            raise _BodyError(f"response larger than {max_bytes} bytes")
        chunks: list[bytes] = []
        total = 0
        # read1 returns whatever has arrived (stream() would block until a full chunk), so the
        # deadline check below also catches a server that drips a few bytes at a time.
        while chunk := response.read1(_CHUNK, decode_content=False):
            total += len(chunk)
            if total > max_bytes:
                response.close()
                raise _BodyError(f"response larger than {max_bytes} bytes")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                # A server dripping bytes just under the read timeout would otherwise hold us forever.
                response.close()
                raise _DeadlineExceeded
        return b"".join(chunks)

    @staticmethod
    def _discard(response: Any) -> None:
        """Finish with a response whose body we do not need, keeping the connection when cheap."""
        length = response.headers.get("content-length")
        if length and length.strip().isdigit() and int(length) <= _DRAIN_LIMIT:
            try:
                response.drain_conn()
                return
            except (HTTPError, OSError):
                pass
        response.close()

    # ----------------------------------------------------------------- pools and politeness

    def _pool(self, scheme: str, host: str, port: int, address: str | None) -> urllib3.HTTPConnectionPool:
        key = (scheme, host, port, address)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                kwargs: dict[str, Any] = {
                    "maxsize": max(1, self.settings.per_host_concurrency),
                    "block": False,
                    "retries": False,
                    "timeout": self._timeout,
                }
                connect_to = address or host
                if scheme == "https":
                    if self.settings.ca_bundle:
                        kwargs["ca_certs"] = self.settings.ca_bundle
                    if address is not None:
                        # Connect to the vetted IP but verify the certificate for the real name.
                        kwargs.update(server_hostname=host, assert_hostname=host)
                    pool = urllib3.HTTPSConnectionPool(connect_to, port, cert_reqs="CERT_REQUIRED", **kwargs)
                else:
                    pool = urllib3.HTTPConnectionPool(connect_to, port, **kwargs)
                self._pools[key] = pool
            return pool

    def _gate(self, host: str) -> _HostGate:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = _HostGate(self.settings.per_host_concurrency, self.settings.per_host_delay_s)
                self._gates[host] = gate
            return gate

    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        """Hold a per-host slot (after the politeness delay) and a global slot."""
        gate = self._gate(host)
        with gate.semaphore:
            wait = gate.reserve()
            if wait > 0:
                time.sleep(wait)
            # The global slot is taken last so that nobody holds one while sleeping for politeness.
            with self._global:
                yield

    # ----------------------------------------------------------------- robots.txt

    def _robots_allow(self, url: str, trusted: bool) -> bool:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        with self._lock:
            lock = self._robots_locks[key]
        # One fetch per origin even when many threads ask at once.
        with lock:
            entry = self._robots.get(key)
            if entry is None or time.monotonic() - entry.fetched_at > self.settings.robots_ttl_s:
                netloc = parts.netloc.rsplit("@", 1)[-1]
                entry = _RobotsEntry(
                    self._fetch_robots(f"{scheme}://{netloc}/robots.txt", trusted), time.monotonic()
                )
                self._robots[key] = entry
        if entry.rules is None:
            return True
        return entry.rules.can_fetch(self.settings.user_agent, url)

    def _fetch_robots(self, robots_url: str, trusted: bool) -> urllib.robotparser.RobotFileParser | None:
        """The parsed rules, or None (= allow everything) when robots.txt is absent or unreadable.

        RFC 9309 reads a 5xx as "disallow all"; we allow instead, as decided for diplowatch:
        one flaky robots.txt should not silence a news source for a day. A 4xx means no rules.
        """
        current, current_trusted = robots_url, trusted
        headers = {"Accept": _ACCEPT[ROBOTS]}
        for _ in range(self.settings.max_redirects + 1):
            verdict = guard.vet_url(current, trusted=current_trusted, allow_hosts=self.settings.allow_hosts)
            if verdict.reason is not None:
                return None
            attempt, _count = self._fetch_with_retries(current, verdict, headers, ROBOTS, _ROBOTS_MAX_BYTES)
            status = attempt.status or 0
            if status in _REDIRECT_STATUSES and attempt.headers.get("location"):
                target = urljoin(current, attempt.headers["location"])
                if (urlsplit(target).hostname or "").lower() != verdict.host:
                    current_trusted = False
                current = target
                continue
            if attempt.error is not None or not 200 <= status < 300:
                return None
            rules = urllib.robotparser.RobotFileParser(robots_url)
            rules.parse(attempt.body.decode("utf-8", "replace").splitlines())
            self._apply_crawl_delay(verdict.host, rules)
            return rules
        return None

    def _apply_crawl_delay(self, host: str, rules: urllib.robotparser.RobotFileParser) -> None:
        """Honour a robots.txt Crawl-delay larger than ours (capped like backoff)."""
        try:
            delay = rules.crawl_delay(self.settings.user_agent)
        except (TypeError, ValueError):
            return
        if delay:
            gate = self._gate(host)
            with gate.lock:
                gate.delay = max(gate.delay, min(float(delay), self.settings.backoff_max_s))


class _DeadlineExceeded(Exception):
    """The whole exchange took longer than settings.total_timeout_s."""
