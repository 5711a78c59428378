"""Every ```sql block of docs/WAREHOUSE.md runs, as written, on a warehouse filled by both DAGs from the
bundled sample; the queries whose answer does not hang on the extractor's exact output return rows.

The warehouse is filled once for the module (about a minute): the session warehouse, emptied, then
news_ingest and event_extract over data/sample/ with dag.test(), exactly as in production. The
sample passes validation, so one bad event goes through the real Great Expectations suite and the
real quarantine loader, as process_batch() would send it, to give the quarantine query a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import REPO
from tests.warehouse.sample_run import run_sample_dags

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # the first test pays for both DAG runs

DOC = REPO / "docs" / "WAREHOUSE.md"

# The queries that must answer with at least one row on the sample, by id (see _blocks):
# the two view examples and the numbered queries that depend on broad facts of the sample
# (events between 2023 and 2025, Russia and France in many of them, quality runs, one
# quarantined row) rather than on one particular event being extracted. Queries 1, 2 and 4
# ask for single events (a 2023 visit to China, sanctions on Russia, a visit planned in
# spring 2024): the extractor finds some today, but that may change while it improves, so
# for those the test only requires that they run.
MUST_RETURN_ROWS = {"views-1", "views-2", "q3", "q5", "q6", "q7", "q8", "q9", "q10"}


@dataclass(frozen=True)
class DocQuery:
    id: str  # "q3" for "### 3. ...", else "<section slug>-<n>"
    heading: str
    sql: str


def _blocks(text: str) -> list[DocQuery]:
    """The ```sql blocks of the doc, each named after the heading above it."""
    found: list[DocQuery] = []
    heading, per_heading = "", 0
    fence: str | None = None  # the language of the fenced block we are in ("sql", "bash", ""), else None
    lines: list[str] = []
    for line in text.splitlines():
        if fence is not None:
            if line.strip() != "```":
                lines.append(line)
                continue
            if fence == "sql":
                number = re.match(r"(\d+)\.", heading)
                per_heading += 1
                slug = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "top"
                qid = f"q{number.group(1)}" if number else f"{slug}-{per_heading}"
                found.append(DocQuery(qid, heading, "\n".join(lines)))
            fence, lines = None, []
        elif line.startswith("```"):
            fence = line[3:].strip()
        elif line.startswith("#"):
            heading, per_heading = line.lstrip("#").strip(), 0
    assert fence is None, "docs/WAREHOUSE.md: a fenced block is not closed"
    return found


QUERIES = _blocks(DOC.read_text(encoding="utf-8"))


def _quarantine_one_bad_event(url: str) -> None:
    """What process_batch() does with an event that fails the events suite, for one such event."""
    from diplowatch.events.model import Event
    from diplowatch.quality.quarantine import to_quarantine_records
    from diplowatch.quality.validate import validate_rows
    from diplowatch.warehouse import db, load

    with db.connection(url) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT article_id, canonical_url FROM articles WHERE extract_status = 'done' "
                        "ORDER BY article_id LIMIT 1")
            article_id, article_url = cur.fetchone()
        bad = Event(event_type="SANCTION", source_country="fr", target_country="DEU", status="occurred",
                    sentence="A rule gone wrong coded this sentence.", confidence=1.7, lang="fr",
                    article_url=article_url).finalize("doc-example")
        record = {**bad.to_record(), "article_id": article_id}
        outcome = validate_rows("events", [record], batch_key="docs-warehouse-example")
        assert outcome.bad, "the events suite let a confidence of 1.7 through"
        load.quarantine_rows(conn, to_quarantine_records("events", outcome.bad, outcome.result["run_id"], "event"))
        load.record_quality_result(conn, outcome.result)


@pytest.fixture(scope="module")
def sample_warehouse(airflow_ready: dict[str, str], warehouse_url: str,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE event_mentions, events, quarantine, quality_results, fetch_errors, articles, sources "
                    "RESTART IDENTITY CASCADE")
    run_sample_dags(airflow_ready, Path(tmp_path_factory.mktemp("warehouse-doc")))
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM events")
        assert cur.fetchone()[0] > 0, "both DAGs ran but no events were loaded"
    _quarantine_one_bad_event(warehouse_url)
    yield warehouse_url


def test_the_doc_has_ten_numbered_queries() -> None:
    numbered = [q.id for q in QUERIES if re.fullmatch(r"q\d+", q.id)]
    assert numbered == [f"q{n}" for n in range(1, 11)], f"expected one sql block under each of ### 1. to ### 10., got {numbered}"
    assert len(MUST_RETURN_ROWS) >= 6
    assert MUST_RETURN_ROWS <= {q.id for q in QUERIES}, "MUST_RETURN_ROWS names a block the doc no longer has"


@pytest.mark.parametrize("query", QUERIES, ids=[q.id for q in QUERIES])
def test_doc_query_runs_on_the_sample(sample_warehouse: str, query: DocQuery) -> None:
    conn = psycopg2.connect(sample_warehouse)
    try:
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION READ ONLY")  # a doc query must never change the warehouse
            cur.execute("SET LOCAL statement_timeout = '20s'")
            try:
                cur.execute(query.sql)
            except psycopg2.Error as exc:
                pytest.fail(f"docs/WAREHOUSE.md, '{query.heading}': {type(exc).__name__}: {exc}")
            assert cur.description is not None, f"'{query.heading}' returns no result set"
            rows = cur.fetchall()
    finally:
        conn.rollback()
        conn.close()
    if query.id in MUST_RETURN_ROWS:
        assert rows, f"docs/WAREHOUSE.md, '{query.heading}': no rows on the bundled sample"
