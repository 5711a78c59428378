"""End to end: both DAGs with dag.test() against real PostgreSQL, over a local HTTP server.

The bundled sample (data/sample/) and, where ../shared exists, the seed article
served as one page of an extra feed. A second run of both DAGs adds no rows and
makes only conditional feed requests.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import psycopg2
import pytest

from diplowatch.sources.sample_server import SampleServer, sample_dir
from tests.conftest import REPO, run_dag, seed_file

pytestmark = pytest.mark.slow

SEED_PATH = "/articles/fr/seed-putin-china-visit.html"
COUNTED = ("articles", "events", "event_mentions", "quality_results", "quarantine", "sources")


def _seed_pages() -> dict[str, tuple[bytes, str]]:
    seed = seed_file()
    if seed is None:
        return {}
    lines = seed.read_text(encoding="utf-8").strip().splitlines()
    if lines and lines[0].strip().startswith("date "):
        lines[0] = lines[0].strip()[len("date 2023-07"):]
    paras = "\n".join(f"<p>{html.escape(p.strip())}</p>" for p in lines if p.strip())
    page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Vladimir Poutine se rendra en Chine en octobre</title>
<link rel="canonical" href="http://diplowatch-sample.invalid{SEED_PATH}">
<meta property="article:published_time" content="2023-07-15T08:00:00+00:00"></head>
<body><nav><a href="/">Accueil</a> | <a href="/monde">Monde</a></nav>
<article><h1>Vladimir Poutine se rendra en Chine en octobre</h1>
<time datetime="2023-07-15">15 juillet 2023</time>
{paras}</article><footer>Tous droits réservés.</footer></body></html>"""
    feed = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Seed</title><link>http://diplowatch-sample.invalid/</link>
<description>seed</description>
<item><title>Vladimir Poutine se rendra en Chine en octobre</title>
<link>http://diplowatch-sample.invalid{SEED_PATH}</link><guid>seed-1</guid>
<pubDate>Sat, 15 Jul 2023 08:00:00 GMT</pubDate></item></channel></rss>"""
    return {SEED_PATH: (page.encode("utf-8"), "text/html; charset=utf-8"),
            "/feeds/seed.rss": (feed.encode("utf-8"), "application/rss+xml")}


def _counts(url: str) -> dict[str, int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out = {}
        for t in COUNTED:
            cur.execute(f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed table names
            out[t] = cur.fetchone()[0]
        cur.execute("SELECT array_agg(event_id ORDER BY event_id) FROM events")
        out["event_ids"] = hash(tuple(cur.fetchone()[0] or ()))
    return out


@pytest.fixture(scope="module")
def sources_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = (REPO / "config" / "sources.yml").read_text(encoding="utf-8")
    text += '\n  - {name: sample-seed, url: "${DIPLOWATCH_SAMPLE_BASE}/feeds/seed.rss", lang: fr, group: sample}\n'
    path = tmp_path_factory.mktemp("cfg") / "sources.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_both_dags_end_to_end(airflow_ready: dict[str, str], clean_warehouse: str, sources_file: Path) -> None:
    url = clean_warehouse
    with SampleServer(extra=_seed_pages()) as server:
        extra = {
            "DIPLOWATCH_SAMPLE_BASE": server.base_url,
            "DIPLOWATCH_SOURCE_GROUPS": "sample",
            "DIPLOWATCH_ALLOW_HOSTS": "127.0.0.1",
            "DIPLOWATCH_SOURCES": str(sources_file),
        }
        run_dag("news_ingest", airflow_ready, extra)
        run_dag("event_extract", airflow_ready, extra)
        first = _counts(url)
        feed_requests_first = sum(n for p, n in server.requests.items() if p.startswith("/feeds/"))

        expected_pages = [json.loads(line) for line in (sample_dir() / "expected_events.jsonl").read_text().splitlines()
                          if line.strip()]
        # Every sample page lands (a near-duplicate copy lands too, linked to its original).
        assert first["articles"] >= len(expected_pages) - 1 + (1 if seed_file() else 0)
        assert first["events"] > 20
        assert first["event_mentions"] >= first["events"]
        assert first["quality_results"] >= 2  # at least one articles run and one events run
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM fetch_errors WHERE stage = 'page'")
            assert cur.fetchone()[0] >= 1  # the sample's deliberate 404 link is recorded, not fatal
            cur.execute("SELECT count(*) FROM articles WHERE processed_at IS NULL")
            assert cur.fetchone()[0] == 0

        if seed_file():
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.execute(
                    """SELECT e.event_type, e.source_country, e.target_country, m.event_date, m.status, e.context
                       FROM event_mentions m JOIN events e USING (event_id) JOIN articles a ON a.article_id = m.article_id
                       WHERE a.canonical_url LIKE %s""",
                    ("%" + SEED_PATH,),
                )
                seed_events = cur.fetchall()
            assert ("VISIT", "RUS", "CHN", "2023-10", "planned", "Belt and Road Forum") in seed_events, seed_events
            assert any(e[:3] == ("ACCEPT_INVITATION", "RUS", "CHN") for e in seed_events), seed_events
            assert any(e[:5] == ("VISIT", "CHN", "RUS", "2023-03", "occurred") for e in seed_events), seed_events

        # A second run of both DAGs adds nothing, and feeds are only asked conditionally.
        run_dag("news_ingest", airflow_ready, extra)
        run_dag("event_extract", airflow_ready, extra)
        second = _counts(url)
        assert second == first
        feed_requests_second = sum(n for p, n in server.requests.items() if p.startswith("/feeds/")) - feed_requests_first
        assert feed_requests_second == sum(n for p, n in server.conditional_hits.items() if p.startswith("/feeds/"))
        assert feed_requests_second > 0
