"""Event and article rows for the quality tests (plain dicts, as the pipeline passes them)."""

from __future__ import annotations

from typing import Any

import pytest


def _event(event_id: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "event_id": event_id,
        "event_type": "MEET",
        "cameo_code": "040",
        "source_country": "RUS",
        "target_country": "CHN",
        "event_date": "2023-10-18",
        "date_precision": "day",
        "status": "occurred",
        "sentence": "Vladimir Putin met Xi Jinping in Beijing on Wednesday.",
        "lang": "en",
        "confidence": 0.9,
        "article_id": "a" * 32,
    }
    row.update(overrides)
    return row


@pytest.fixture
def make_event():
    return _event


@pytest.fixture
def make_article():
    return _article


@pytest.fixture
def good_events() -> list[dict[str, Any]]:
    return [
        _event("e1"),
        _event("e2", event_type="VISIT", source_country="FRA", target_country="EU", event_date="2024-05",
                   date_precision="month", status="planned", lang="fr", sentence="Macron se rendra à Bruxelles."),
        _event("e3", event_type="CRITICIZE", source_country="G20", target_country=None, event_date=None,
                   date_precision="unknown", lang=None, confidence=0),
        _event("e4", event_type="SIGN_AGREEMENT", source_country="ASEAN", target_country="NATO",
                   event_date="2023", date_precision="year", confidence=1),
    ]


def _article(article_id: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "article_id": article_id,
        "canonical_url": f"https://news.example.org/{article_id}",
        "title": "Leaders meet",
        "text": "Vladimir Putin met Xi Jinping in Beijing on Wednesday.",
        "published": "2023-10-18T09:30:00+00:00",
        "lang": "en",
        "content_hash": "c" * 64,
    }
    row.update(overrides)
    return row
