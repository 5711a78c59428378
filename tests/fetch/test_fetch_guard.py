"""SSRF guard: which URLs may be fetched. DNS is never consulted: resolve_host is monkeypatched."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplowatch.fetch import guard
from diplowatch.fetch.guard import address_class, check_url, vet_url

# What each test name "resolves" to; anything else fails like an unknown name.
FAKE_DNS = {
    "public.test": ["93.184.216.34"],
    "loopback.test": ["127.0.0.1"],
    "mixed.test": ["93.184.216.34", "10.1.2.3"],  # one bad address is enough to refuse
    "v6.test": ["2606:4700::6810:84e5"],
    "metadata.test": ["169.254.169.254"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    real = guard.resolve_host

    def resolve(host: str, port: int) -> list[str]:
        if guard.ip_literal(host) is not None:
            return real(host, port)  # literals never touch DNS
        if host in FAKE_DNS:
            return FAKE_DNS[host]
        raise OSError(f"[Errno -2] Name or service not known: {host}")

    monkeypatch.setattr(guard, "resolve_host", resolve)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.5/", "refused: link resolves to private address 10.0.0.5"),
        ("http://172.16.3.4/x", "refused: link resolves to private address 172.16.3.4"),
        ("http://172.31.255.255/", "refused: link resolves to private address 172.31.255.255"),
        ("http://192.168.1.1:8080/", "refused: link resolves to private address 192.168.1.1"),
        ("http://127.0.0.1/", "refused: link resolves to loopback address 127.0.0.1"),
        ("http://127.8.9.10/", "refused: link resolves to loopback address 127.8.9.10"),
        ("http://169.254.169.254/latest", "refused: link resolves to link-local address 169.254.169.254"),
        ("http://[::1]/", "refused: link resolves to loopback address ::1"),
        ("http://[::ffff:127.0.0.1]/", "refused: link resolves to loopback address ::ffff:127.0.0.1"),
        ("http://[::ffff:10.0.0.1]/", "refused: link resolves to private address ::ffff:10.0.0.1"),
        ("http://[fe80::1]/", "refused: link resolves to link-local address fe80::1"),
        ("http://[fc00::1]/", "refused: link resolves to private address fc00::1"),
        ("http://100.64.0.1/", "refused: link resolves to shared (CGNAT) address 100.64.0.1"),
        ("http://0.0.0.0/", "refused: link resolves to unspecified address 0.0.0.0"),
        ("http://[::]/", "refused: link resolves to unspecified address ::"),
        ("http://224.0.0.1/", "refused: link resolves to multicast address 224.0.0.1"),
        ("http://2130706433/", "refused: link resolves to loopback address 127.0.0.1"),  # decimal form
        ("http://0x7f.1/", "refused: link resolves to loopback address 127.0.0.1"),  # hex + short form
        ("http://127.1/", "refused: link resolves to loopback address 127.0.0.1"),
        ("http://loopback.test/", "refused: link resolves to loopback address 127.0.0.1"),
        ("http://LOOPBACK.test./", "refused: link resolves to loopback address 127.0.0.1"),
        ("http://mixed.test/", "refused: link resolves to private address 10.1.2.3"),
        ("http://metadata.test/", "refused: link resolves to link-local address 169.254.169.254"),
        (
            "http://nowhere.test/",
            "could not resolve host nowhere.test ([Errno -2] Name or service not known: nowhere.test)",
        ),
        ("ftp://public.test/", "refused: unsupported URL scheme 'ftp'"),
        ("gopher://127.0.0.1:6379/", "refused: unsupported URL scheme 'gopher'"),
        ("//public.test/", "refused: unsupported URL scheme 'none'"),
        ("http:///path", "refused: URL has no host"),
        ("http://public.test:notaport/", None),  # replaced below: malformed
        ("http://public.test/", None),
        ("https://v6.test/a?b=c", None),
        ("HTTPS://Public.Test/", None),
        ("http://8.8.8.8/", None),
    ],
)
def test_untrusted_table(url: str, reason: str | None) -> None:
    got = check_url(url, trusted=False, allow_hosts=())
    if url.endswith(":notaport/"):
        assert got is not None and got.startswith("refused: malformed URL")
    else:
        assert got == reason


def test_allow_list_admits_private_hosts() -> None:
    assert check_url("http://127.0.0.1:8000/x", trusted=False, allow_hosts=("127.0.0.1",)) is None
    assert check_url("http://loopback.test/", trusted=False, allow_hosts=["LoopBack.test"]) is None
    # The allow list is by host name, not by address: another name for 127.0.0.1 stays refused.
    assert check_url("http://loopback.test/", trusted=False, allow_hosts=("127.0.0.1",)) is not None


def test_trusted_urls_skip_the_address_check_but_not_the_scheme() -> None:
    assert check_url("http://127.0.0.1/", trusted=True, allow_hosts=()) is None
    assert check_url("http://10.0.0.5/feed", trusted=True, allow_hosts=()) is None
    assert check_url("http://nowhere.test/", trusted=True, allow_hosts=()) is None  # not resolved
    assert (
        check_url("file:///etc/passwd", trusted=True, allow_hosts=())
        == "refused: unsupported URL scheme 'file'"
    )


def test_verdict_carries_the_vetted_addresses() -> None:
    verdict = vet_url("http://public.test/a", trusted=False, allow_hosts=())
    assert verdict.reason is None and verdict.host == "public.test"
    assert verdict.addresses == ("93.184.216.34",)
    assert vet_url("http://public.test/a", trusted=True).addresses == ()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", None),
        ("2606:4700::1", None),
        ("192.0.2.1", "private"),  # documentation range: nothing to fetch there
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("not an ip", "unparseable"),
    ],
)
def test_address_classes(address: str, kind: str | None) -> None:
    assert address_class(address) == kind


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.booleans())
def test_check_url_never_raises(url: str, trusted: bool) -> None:
    result = check_url(url, trusted=trusted, allow_hosts=("127.0.0.1",))
    assert result is None or ("\n" not in result and result)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"https?://[a-z0-9.:\[\]%-]{0,30}(/[ -~]{0,20})?", fullmatch=True))
def test_check_url_never_raises_on_url_shapes(url: str) -> None:
    result = check_url(url, trusted=False, allow_hosts=())
    assert result is None or "\n" not in result
