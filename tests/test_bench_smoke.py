"""The benchmark (`make bench`): a quick run end to end, and the pieces its figures rest on.

The smoke run is `python -m diplowatch.bench --articles 20 --quick` in a child
process, on the PostgreSQL server of DIPLOWATCH_TEST_DB_URL when set (in
databases of its own), else on an embedded server the bench starts and stops.
It takes 60–90 s on a shared 2-core machine (spaCy models loaded three times,
an Airflow DAG run), hence `slow`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

from diplowatch.bench.corpus import BenchArticle, generate_corpus, load_or_generate
from diplowatch.bench.database import with_db
from diplowatch.bench.e2e import _summaries
from diplowatch.bench.measure import replicate
from diplowatch.events.model import Event
from tests.conftest import REPO

CONTRACT_LINE = re.compile(
    r"^bench extract_ratio=(\d+\.\d{2}) load_ratio=(\d+\.\d{2}) e2e_articles_per_s=(\d+(?:\.\d+)?) articles=(\d+)$"
)


def _drop(server_url: str, names: list[str]) -> None:
    conn = psycopg2.connect(with_db(server_url, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in names:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.mark.slow
def test_quick_run_ends_with_the_contract_line(tmp_path: Path) -> None:
    # Short path: an embedded server's Unix socket lives under the work directory.
    workdir = Path("/tmp") / f"dwbench-{uuid.uuid4().hex[:8]}"
    docs = REPO / "docs" / "BENCHMARKS.md"
    docs_before = docs.stat().st_mtime_ns if docs.exists() else None
    env = {k: v for k, v in os.environ.items() if k not in ("DIPLOWATCH_DB_URL", "AIRFLOW_CONN_DIPLOWATCH_DB")}
    env.update(DIPLOWATCH_HOME=str(tmp_path / "home"), DIPLOWATCH_BENCH_DIR=str(workdir))
    server = os.environ.get("DIPLOWATCH_TEST_DB_URL")
    dbname = f"dw_bench_{os.getpid()}"
    if server:
        env.update(DIPLOWATCH_DB_URL=server, DIPLOWATCH_BENCH_DB=dbname)
    try:
        proc = subprocess.run([sys.executable, "-m", "diplowatch.bench", "--articles", "20", "--quick"],
                              env=env, capture_output=True, text=True, timeout=600, cwd=REPO)
        results = json.loads((workdir / "results-20.json").read_text()) if proc.returncode == 0 else {}
    finally:
        if server:
            _drop(server, [dbname, dbname + "_airflow"])
        else:
            from diplowatch.warehouse.embedded import stop_embedded

            stop_embedded(workdir / "pg")  # normally stopped by the bench already; not if it crashed
        shutil.rmtree(workdir, ignore_errors=True)

    assert proc.returncode == 0, f"bench failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}\n{proc.stdout[-2000:]}"
    lines = proc.stdout.rstrip("\n").splitlines()
    m = CONTRACT_LINE.match(lines[-1])
    assert m, f"last line is not the contract line: {lines[-1]!r}"
    extract_ratio, load_ratio, e2e_aps, articles = float(m[1]), float(m[2]), float(m[3]), int(m[4])
    assert extract_ratio > 0 and load_ratio > 0 and e2e_aps > 0
    assert articles == 20
    # The figures come from real work: events extracted and loaded, the whole corpus through the DAG and the ingest.
    assert results["extract"]["events"] > 0 and results["extract"]["failures"] == 0
    assert results["load"]["mentions_new"] == results["load"]["rows"] >= 2000
    assert results["e2e"]["articles"] == 20 and results["e2e"]["state"] == "success"
    assert 0 < results["e2e"]["work_s"] < results["e2e"]["wall_s"]
    assert results["ingest"]["stored"] == 20 and results["ingest"]["errors"] == 0
    assert results["e2e"]["peak_rss_mib"] > 100
    assert "[bench" in proc.stderr  # progress lines go to stderr, not into the table
    # A quick run leaves the reference figures alone.
    assert (docs.stat().st_mtime_ns if docs.exists() else None) == docs_before


def test_corpus_is_deterministic_balanced_and_news_sized() -> None:
    corpus = generate_corpus(6)
    assert corpus == generate_corpus(6)
    assert generate_corpus(4) == corpus[:4]  # article i depends on the seed and i only
    assert [a.lang for a in corpus] == ["en", "fr"] * 3
    assert all(300 <= a.words <= 1200 and a.words == len(a.text.split()) for a in corpus)
    assert len({a.article_id for a in corpus}) == 6


def test_corpus_cache_is_reused_only_for_the_same_generator(tmp_path: Path) -> None:
    first, reused = load_or_generate(2, tmp_path)
    assert not reused
    again, reused = load_or_generate(2, tmp_path)
    assert reused and again == first and all(isinstance(a, BenchArticle) for a in again)
    path = tmp_path / "corpus-2.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), "generator": "an older generator"})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, reused = load_or_generate(2, tmp_path)
    assert not reused


def test_replicas_have_new_ids_and_dates_outside_the_dedup_window() -> None:
    ev = Event(event_type="VISIT", source_country="RUS", target_country="CHN", status="occurred",
               sentence="Putin visited Beijing.", event_date="2024-02-29", date_precision="day",
               published="2024-03-01", event_id="a" * 32)
    (aid, copy1), = replicate([("art1", ev)], 1)
    (_, copy2), = replicate([("art1", ev)], 2)
    assert aid == "art1"
    assert len({ev.event_id, copy1.event_id, copy2.event_id}) == 3
    assert (copy1.event_date, copy1.published) == ("2023-02-28", "2023-03-01")
    assert copy2.event_date == "2022-02-28" and copy2.sentence == ev.sentence


def test_batch_summaries_are_found_in_xcom_values_however_wrapped() -> None:
    summary = {"articles": 3, "seconds": 1.5, "events_extracted": 2}
    assert _summaries(summary) == [summary]
    assert _summaries(json.dumps(summary)) == [summary]
    assert _summaries({"__classname__": "builtins.dict", "__data__": summary}) == [summary]
    assert _summaries(None) == []
