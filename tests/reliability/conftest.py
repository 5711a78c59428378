"""Fixtures for the reliability tests: fast HTTP settings, a config file for child processes,
row counts of the warehouse, and a tally of hostile inputs printed at the end of the session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from diplowatch.settings import HttpSettings, IngestSettings, Settings, get_settings

REPO = Path(__file__).resolve().parents[2]

# Tables whose rows the pipeline writes; their counts must never move on a rerun.
TABLES = ("sources", "articles", "events", "event_mentions", "quality_results", "quarantine", "fetch_errors")

FAST_HTTP = dict(
    connect_timeout_s=1.0,
    read_timeout_s=1.0,
    total_timeout_s=8.0,
    retries=1,
    backoff_base_s=0.05,
    backoff_max_s=0.2,
    per_host_concurrency=4,
    per_host_delay_s=0.0,
    global_concurrency=8,
    allow_hosts=("127.0.0.1",),
)


def fast_settings(**ingest: Any) -> Settings:
    """The process settings with quick timeouts, no politeness delay and 127.0.0.1 allow-listed."""
    base = get_settings()
    return Settings(
        http=replace(HttpSettings(), **FAST_HTTP),
        ingest=replace(IngestSettings(), **ingest),
        extract=base.extract,
    )


@pytest.fixture(scope="session")
def fast_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """config/diplowatch.yml for child processes and DAG runs, with FAST_HTTP."""
    path = tmp_path_factory.mktemp("cfg") / "diplowatch.yml"
    http = {k: list(v) if isinstance(v, tuple) else v for k, v in FAST_HTTP.items()}
    path.write_text(json.dumps({"http": http}), encoding="utf-8")  # JSON is YAML
    return path


def counts(url: str) -> dict[str, Any]:
    """Row count of every pipeline table, plus the exact ids of articles, events and mentions."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out: dict[str, Any] = {}
        for table in TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            out[table] = cur.fetchone()[0]
        for key, query in (
            ("article_ids", "SELECT article_id FROM articles ORDER BY 1"),
            ("event_ids", "SELECT event_id FROM events ORDER BY 1"),
            ("mention_ids", "SELECT mention_id FROM event_mentions ORDER BY 1"),
        ):
            cur.execute(query)
            out[key] = [r[0] for r in cur.fetchall()]
    conn.close()
    return out


def no_duplicates(url: str) -> None:
    """Hard check of 0 duplicated: one article per canonical URL and content, one mention per (article, sentence, type)."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT canonical_url, count(*) FROM articles GROUP BY 1 HAVING count(*) > 1")
        assert cur.fetchall() == []
        cur.execute(
            "SELECT content_hash, count(*) FROM articles WHERE duplicate_of IS NULL GROUP BY 1 HAVING count(*) > 1"
        )
        assert cur.fetchall() == []
        cur.execute(
            """SELECT m.article_id, m.sentence, e.event_type, count(*) FROM event_mentions m JOIN events e USING (event_id)
               GROUP BY 1, 2, 3, e.source_country, e.target_country, m.event_date HAVING count(*) > 1"""
        )
        assert cur.fetchall() == []
        cur.execute("SELECT event_id FROM events e WHERE mention_count <> "
                    "(SELECT count(*) FROM event_mentions m WHERE m.event_id = e.event_id)")
        assert cur.fetchall() == []
    conn.close()


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.setdefault("PYTHONPATH", str(REPO))
    return env


def run_child(code: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real DNS: hostile.test is 127.0.0.1, IP literals are themselves, other names fail (hostile.py)."""
    from diplowatch.fetch import guard
    from tests.reliability.hostile import fake_resolver

    monkeypatch.setattr(guard, "resolve_host", fake_resolver)


# ----------------------------------------------------------------- hostile-input tally

_TALLY: Counter[str] = Counter()


@pytest.fixture(scope="session")
def tally() -> Iterator[Counter[str]]:
    """Hostile-input cases by outcome class ("feeds:stored", "pages:error", ...)."""
    yield _TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _TALLY:
        return
    groups: dict[str, Counter[str]] = {}
    for key, n in _TALLY.items():
        group, outcome = key.split(":", 1)
        groups.setdefault(group, Counter())[outcome] += n
    terminalreporter.section("hostile inputs")
    total = 0
    for group, outcomes in sorted(groups.items()):
        n = sum(outcomes.values())
        total += n
        detail = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        terminalreporter.write_line(f"{group:<12} {n:>5}  ({detail})")
    terminalreporter.write_line(f"{'total':<12} {total:>5}  (0 crashes, 0 hangs: a crash or hang fails its test)")
