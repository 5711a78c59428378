"""Fixtures for the fetch tests: a threaded HTTP server on 127.0.0.1 and fast client settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from diplowatch.settings import HttpSettings


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    """Overrides pytest-httpserver's server: bound to 127.0.0.1 only, and threaded so that a
    deliberately slow handler does not block the next test's requests."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


# Small timeouts and backoff keep the suite fast; robots.txt is off unless a test turns it on,
# because pytest-httpserver answers unknown paths (like /robots.txt) with 500.
FAST = HttpSettings(
    user_agent="diplowatch-test/1.0 (+https://example.invalid/bot)",
    connect_timeout_s=1.0,
    read_timeout_s=1.0,
    total_timeout_s=5.0,
    max_bytes=1024 * 1024,
    max_redirects=5,
    retries=2,
    backoff_base_s=0.01,
    backoff_max_s=0.2,
    per_host_concurrency=2,
    per_host_delay_s=0.0,
    global_concurrency=4,
    obey_robots=False,
    allow_hosts=("127.0.0.1",),
)


@pytest.fixture
def fast_settings() -> Any:
    """A factory: fast_settings(read_timeout_s=0.2, ...) → HttpSettings."""

    def make(**overrides: Any) -> HttpSettings:
        return replace(FAST, **overrides)

    return make


def shared_dir() -> Path | None:
    """The shared fixtures checkout (../shared next to the repo, or $DIPLOWATCH_SHARED_DIR)."""
    env = os.environ.get("DIPLOWATCH_SHARED_DIR")
    candidate = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared"
    return candidate.resolve() if candidate.is_dir() else None


@pytest.fixture
def feed_fixtures() -> Path:
    """/work/shared/fixtures/feeds, or skip when the shared checkout is absent."""
    base = shared_dir()
    path = base / "fixtures" / "feeds" if base else None
    if path is None or not path.is_dir():
        pytest.skip("shared fixtures not available (set DIPLOWATCH_SHARED_DIR)")
    return path
