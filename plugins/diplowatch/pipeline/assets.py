"""The Airflow Assets that link the DAGs: news_ingest updates ARTICLES, event_extract is scheduled on it."""

from __future__ import annotations

from airflow.sdk import Asset

ARTICLES = Asset(name="diplowatch_articles", uri="diplowatch://warehouse/articles", group="diplowatch")
EVENTS = Asset(name="diplowatch_events", uri="diplowatch://warehouse/events", group="diplowatch")
