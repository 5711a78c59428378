"""Fixtures for the parse tests: where the shared fixture files are (skip when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path | None:
    """The shared fixtures checkout (../shared next to the repo, or $DIPLOWATCH_SHARED_DIR)."""
    env = os.environ.get("DIPLOWATCH_SHARED_DIR")
    candidate = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared"
    return candidate.resolve() if candidate.is_dir() else None


@pytest.fixture
def feed_fixtures() -> Path:
    """shared/fixtures/feeds, or skip."""
    base = shared_dir()
    path = base / "fixtures" / "feeds" if base else None
    if path is None or not path.is_dir():
        pytest.skip("shared feed fixtures not available (set DIPLOWATCH_SHARED_DIR)")
    return path


@pytest.fixture
def wikinews_fr() -> Path:
    """shared/news/fr_wikinews_2012 (100 French pages with their expected text), or skip."""
    base = shared_dir()
    path = base / "news" / "fr_wikinews_2012" if base else None
    if path is None or not (path / "articles.jsonl").is_file():
        pytest.skip("shared news fixtures not available (set DIPLOWATCH_SHARED_DIR)")
    return path
