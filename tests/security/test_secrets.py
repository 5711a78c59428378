"""Secrets: none in the repository, the warehouse password never printed by `diplowatch db` nor by
task logs, Airflow's secrets masker told about it, and the plugin's API closed to anonymous calls.

The masking in a real DAG run's task log (a libpq error that quotes the password) is proved in
tests/reliability/test_airflow_runs.py::test_a_password_libpq_echoes_is_masked_in_the_task_log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from diplowatch.warehouse import db
from tests.conftest import REPO
from tests.reliability.localnet import PgProxy

# What looks like a secret written into a file.
PATTERNS = {
    "password assignment": re.compile(
        r"""(?i)\b(?:password|passwd|pwd|secret|secret_key|api_key|apikey|token|fernet_key)\b["']?\s*[:=]\s*["']([^"'\s${}<>]{4,})["']"""),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s/'\"{}$]+)@"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----()"),
    "AWS access key": re.compile(r"\b(AKIA[0-9A-Z]{16})\b"),
    "GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,})\b"),
    "Slack token": re.compile(r"\b(xox[baprs]-[A-Za-z0-9-]{10,})\b"),
}
# Documented local-development defaults (docker-compose.yml, and the README and docs that explain
# it): the compose file's own throw-away databases and the simple auth manager's admin user.
DOCUMENTED_DEFAULTS = {"airflow", "diplowatch", "admin"}
DOCUMENTED_IN = ("docker-compose.yml", "README.md", "docs/")
# Made-up values that tests use to prove masking (under tests/ only); none is a credential anywhere.
TEST_FIXTURES = {"Sup3r-S3cret-pw", "Sup3r%zzSecret", "Very-Secret-Pass-123", "bad%zzpass", "pw", "s3cret-pw",
                 "hunter2"}
# Lines that describe a placeholder, not a value: the check is for values.
PLACEHOLDER = re.compile(r"(?i)(\*\*\*|<[a-z_ -]+>|example|changeme|\.\.\.|xxx+)")


def _repository_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             capture_output=True, check=True).stdout.split(b"\0")
    return [REPO / p.decode() for p in tracked if p and (REPO / p.decode()).is_file()]


def test_no_secret_is_written_in_the_repository() -> None:
    found = []
    for path in _repository_files():
        if path.stat().st_size > 2_000_000 or path == Path(__file__).resolve():  # this file holds samples
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind, pattern in PATTERNS.items():
            for m in pattern.finditer(text):
                value = m.group(1)
                line = text[text.rfind("\n", 0, m.start()) + 1 : text.find("\n", m.end())]
                if value in TEST_FIXTURES and "/tests/" in f"/{path.relative_to(REPO)}":
                    continue
                if value in DOCUMENTED_DEFAULTS and str(path.relative_to(REPO)).startswith(DOCUMENTED_IN):
                    continue
                if PLACEHOLDER.search(value) or value.startswith(("os.environ", "env(")):
                    continue
                lineno = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(REPO)}:{lineno}: {kind}: {line.strip()[:120]}")
    assert not found, "possible secrets:\n" + "\n".join(found)


def test_the_scanner_sees_secrets(tmp_path: Path) -> None:
    samples = ['password = "hunter2hunter2"', "AIRFLOW_CONN_X: postgresql://bob:s3cretpass@db:5432/x",
               "-----BEGIN RSA PRIVATE KEY-----", "key AKIAABCDEFGHIJKLMNOP here", 'token: "abcd1234efgh"']
    for sample in samples:
        assert any(p.search(sample) for p in PATTERNS.values()), sample


# ------------------------------------------------------------------ the password on screen


@pytest.mark.parametrize("password", ["Very-Secret-Pass-123", "with%40at%3Asign", "p@ss:w0rd/x?y"])
def test_describe_never_shows_the_password(password: str) -> None:
    from urllib.parse import quote

    for url in (f"postgresql://diplowatch:{quote(password, safe='')}@db.internal:5432/diplowatch",
                f"postgres+psycopg2://diplowatch:{quote(password, safe='')}@db/x?sslmode=require"):
        shown = db.describe(url)
        assert quote(password, safe="") not in shown and password not in shown and ":***@" in shown


def _cli(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIPLOWATCH_DB_URL": url}
    env.pop("AIRFLOW_CONN_DIPLOWATCH_DB", None)
    return subprocess.run([sys.executable, "-m", "diplowatch.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_db_status_and_migrate_mask_the_password(warehouse_url: str) -> None:
    """The server trusts local connections, so the password in the URL is sent and ignored: what
    matters is that no output shows it, on success and on failure."""
    with PgProxy(warehouse_url) as proxy:
        url = proxy.url.replace("postgres@", "postgres:Very-Secret-Pass-123@", 1)
        for args in (["db", "status"], ["db", "status", "--json"], ["db", "migrate"]):
            proc = _cli(args, url)
            assert proc.returncode == 0, proc.stderr[-2000:]
            assert "Very-Secret-Pass-123" not in proc.stdout + proc.stderr
        assert "postgres:***@127.0.0.1" in _cli(["db", "status"], url).stdout
        proxy.down()
        down = _cli(["db", "status"], url)  # unreachable: it fails, and says so without the password
        assert down.returncode != 0 and "Very-Secret-Pass-123" not in down.stdout + down.stderr
    bad = _cli(["db", "status"], "postgresql://postgres:bad%zzpass@127.0.0.1:9/x")
    assert bad.returncode != 0 and "bad%zzpass" not in bad.stdout + bad.stderr
    assert "invalid percent-encoded token" in bad.stderr


_MASKER_CHILD = """
import os
from diplowatch.warehouse import db
url = db.resolve_url()
from airflow.sdk.log import _secrets_masker
print(_secrets_masker().redact("connecting to " + url))
"""


def test_airflow_secrets_masker_learns_the_warehouse_password() -> None:
    """Inside a task (AIRFLOW_CTX_DAG_ID set), resolving the warehouse URL registers its password
    with Airflow's masker, so that any log line carrying it shows *** instead."""
    env = {**os.environ, "AIRFLOW_CTX_DAG_ID": "news_ingest",
           "AIRFLOW_CONN_DIPLOWATCH_DB": "postgresql://dw:Sup3r-S3cret-pw@db.internal:5432/diplowatch"}
    proc = subprocess.run([sys.executable, "-c", _MASKER_CHILD], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Sup3r-S3cret-pw" not in proc.stdout and "dw:***@db.internal" in proc.stdout


# ------------------------------------------------------------------ the plugin's API


@pytest.mark.parametrize("route", ["/", "/api/events", "/api/dyads", "/api/quality", "/api/meta",
                                   "/api/events?country=RUS%27%3B--"])
def test_the_events_api_rejects_anonymous_calls(route: str, warehouse_url: str) -> None:
    """Smoke test with the app exactly as the plugin mounts it; tests/ui/test_auth.py covers the
    rest (bearer tokens, cookies, forged and expired tokens, every route)."""
    from fastapi.testclient import TestClient

    from diplowatch.ui.app import WarehouseConnector, create_app

    client = TestClient(create_app(connect=WarehouseConnector(warehouse_url)), raise_server_exceptions=False)
    response = client.get(route)
    assert response.status_code == 401
    assert "RUS" not in response.text and "event_id" not in response.text
