"""SSRF guard: decides whether a URL may be fetched, and to which addresses we may connect.

Links found inside fetched content (feed entries, redirects to another host) are untrusted: a
hostile feed could point us at 169.254.169.254 or at a database on the local network. They are
refused when their host resolves to any non-public address, unless the host is allow-listed.
URLs the operator gives (sources.yml, the command line) are trusted and only need http(s).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})
_BAD_HOST_CHARS = frozenset('<>"{}|\\^`%/?#@')

# Python's is_private does not cover the shared address space of carrier-grade NAT.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# NAT64 well-known prefix: the last 32 bits are an IPv4 address reached through a translator.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class GuardVerdict:
    """The outcome of vetting one URL.

    `reason` is None when the URL may be fetched. `addresses` are the vetted addresses the
    client should connect to (empty for trusted URLs, which are resolved at connect time):
    connecting to exactly these closes the DNS-rebinding gap between check and connect.
    """

    reason: str | None
    host: str = ""
    addresses: tuple[str, ...] = ()


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to. Tests monkeypatch this to avoid real DNS.

    Numeric forms that inet_aton accepts ("127.1", "0x7f.0.0.1", "2130706433") are converted
    here without any lookup, so they cannot slip past the address check as "names".
    Raises OSError (socket.gaierror) when the name does not resolve.
    """
    literal = ip_literal(host)
    if literal is not None:
        return [str(literal)]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # The fifth field is the sockaddr; its first element the address (scope id dropped).
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def ip_literal(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal (including legacy IPv4 forms), else None."""
    candidate = host.strip("[]").split("%")[0]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    if candidate and all(c in "0123456789abcdefxABCDEFX." for c in candidate):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(candidate))
        except OSError:
            return None
    return None


def address_class(address: str) -> str | None:
    """Why `address` is not public ("private", "loopback", ...), or None when it is public."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "unparseable"
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:10.0.0.1 and friends reach the embedded IPv4 host, so judge that instead.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_class(str(embedded))
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT)"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if not ip.is_global:
        # Documentation, benchmarking and other special-purpose ranges: nothing to fetch there.
        return "non-public"
    return None


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def vet_url(url: str, *, trusted: bool, allow_hosts: Iterable[str] = ()) -> GuardVerdict:
    """Vet `url` for fetching; never raises. See the module docstring for the policy."""
    try:
        parts = urlsplit(url.strip())
        host = _normalise_host(parts.hostname or "")
        port = parts.port
    except ValueError as exc:  # bad port, malformed IPv6 literal
        return GuardVerdict(f"refused: malformed URL ({exc})")
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return GuardVerdict(f"refused: unsupported URL scheme {scheme or 'none'!r}")
    if not host:
        return GuardVerdict("refused: URL has no host")
    if any(c.isspace() or c in _BAD_HOST_CHARS for c in host):
        return GuardVerdict(f"refused: malformed URL (invalid host {host!r})")
    if trusted:
        return GuardVerdict(None, host)
    allowed = {_normalise_host(h) for h in allow_hosts}
    try:
        addresses = resolve_host(host, port or (443 if scheme == "https" else 80))
    except (OSError, UnicodeError) as exc:
        return GuardVerdict(f"could not resolve host {host} ({_one_line(exc)})", host)
    if not addresses:
        return GuardVerdict(f"could not resolve host {host}", host)
    if host not in allowed:
        # Every address must be public: the client might connect to any of them.
        for address in addresses:
            kind = address_class(address)
            if kind is not None:
                return GuardVerdict(f"refused: link resolves to {kind} address {_show(address)}", host)
    return GuardVerdict(None, host, tuple(addresses))


def check_url(url: str, *, trusted: bool, allow_hosts: Iterable[str] = ()) -> str | None:
    """None when `url` may be fetched, else a one-line reason ("refused: link resolves to ...")."""
    return vet_url(url, trusted=trusted, allow_hosts=allow_hosts).reason


def _show(address: str) -> str:
    """An address as people write it: ::ffff:127.0.0.1 rather than ::ffff:7f00:1."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
