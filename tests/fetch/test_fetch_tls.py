"""HTTPS to a vetted address: the client connects to the IP the guard approved but verifies the
certificate for the real host name (SNI + hostname check). A throwaway CA signs a certificate
for news.test; a TLS server on 127.0.0.1 presents it; DNS is monkeypatched."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from diplowatch.fetch import guard
from diplowatch.fetch.http import HttpClient

cryptography = pytest.importorskip("cryptography")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

pytestmark = pytest.mark.timeout(30)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA and a server certificate for news.test, written as PEM files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("diplowatch test CA"))
        .issuer_name(_name("diplowatch test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("news.test"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("news.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    base = tmp_path_factory.mktemp("pki")
    paths = {"ca": base / "ca.pem", "cert": base / "server.pem", "key": base / "server.key"}
    paths["ca"].write_bytes(_pem(ca))
    paths["cert"].write_bytes(_pem(cert))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_server(pki: dict[str, Path]) -> Iterator[HTTPServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["cert"], pki["key"])
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "resolve_host", lambda host, port: ["127.0.0.1"])


def test_https_to_pinned_address_verifies_the_real_name(
    tls_server: HTTPServer, pki: dict[str, Path], fast_settings: Any
) -> None:
    tls_server.clear()
    tls_server.expect_request("/story").respond_with_data("<p>ok</p>", content_type="text/html")
    settings = fast_settings(allow_hosts=("news.test", "other.test"), ca_bundle=str(pki["ca"]))
    with HttpClient(settings) as client:
        ok = client.get(f"https://news.test:{tls_server.port}/story", trusted=False)
        # Same server, but we asked for other.test: the certificate does not cover it.
        wrong_name = client.get(f"https://other.test:{tls_server.port}/story", trusted=False)
    assert ok.ok, ok.error
    assert tls_server.log[0][0].headers["Host"] == f"news.test:{tls_server.port}"
    assert wrong_name.error is not None and wrong_name.error.startswith("TLS error")
    assert "\n" not in wrong_name.error


def test_https_with_an_unknown_ca_is_refused(tls_server: HTTPServer, fast_settings: Any) -> None:
    tls_server.clear()
    tls_server.expect_request("/story").respond_with_data("<p>ok</p>", content_type="text/html")
    with HttpClient(fast_settings(allow_hosts=("news.test",))) as client:
        result = client.get(f"https://news.test:{tls_server.port}/story", trusted=False)
    assert result.error is not None and result.error.startswith("TLS error")
    assert result.attempts == 1  # certificate problems are not retried
