"""The whole event_extract DAG over the corpus: one dag.test() run in a child process, timed from outside.

As the tests run DAGs (tests/conftest.run_dag): `python -m diplowatch.cli dags test
event_extract` with the Airflow environment of pipeline/airflow_env.py. Before the
clock starts, the warehouse holds the corpus as unprocessed articles (inserted
with upsert_articles: ingest is measured separately) and Airflow's metadata DB is
migrated. The child is reaped with os.wait4, which gives its own peak RSS: the
dag.test process runs the tasks in-process, so that is the extraction worker.

Where the time goes: the child's wall time = process start, Airflow and DAG
import (before the DAG run exists) + the DAG run itself (dag_run start → end in
the metadata DB). The work is the sum of BatchSummary.seconds that the
extract_batch tasks return (the time inside process_batch: models loaded on
first use, GX validation, extraction, load, commit); the rest is Airflow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import yaml

from diplowatch.bench.corpus import PLACEHOLDER_BASE, BenchArticle, article_rows
from diplowatch.bench.database import BenchServer
from diplowatch.settings import config_dir, project_root

Progress = Callable[[str], None]
DAG_ID = "event_extract"
MAPPED_TASK = "extract.extract_batch"
CHILD_TIMEOUT_S = 3600


@dataclass
class E2EMeasure:
    articles: int  # processed by the run
    wall_s: float  # the child process, start to exit
    dagrun_s: float | None  # the DAG run itself (metadata DB)
    work_s: float  # sum of BatchSummary.seconds
    batches: int
    events_extracted: int
    events_quarantined: int
    mentions_new: int
    state: str
    exit_code: int
    peak_rss_mib: float
    extraction_failures: int
    log_path: Path

    @property
    def aps(self) -> float:
        return self.articles / self.wall_s if self.wall_s else 0.0

    @property
    def overhead_share(self) -> float:
        """1 − work inside process_batch ÷ wall time of the child."""
        return 1.0 - self.work_s / self.wall_s if self.wall_s else 0.0

    @property
    def startup_s(self) -> float | None:
        return self.wall_s - self.dagrun_s if self.dagrun_s is not None else None


def bench_config(workdir: Path, articles: int) -> Path:
    """A copy of the configuration whose extract.articles_per_run covers the whole corpus.

    plan_batches takes at most articles_per_run articles a run (500 by default): without
    this, a 1,000-article benchmark would time a run over half of them.
    """
    src = Path(os.environ.get("DIPLOWATCH_CONFIG") or config_dir() / "diplowatch.yml")
    raw: dict[str, Any] = (yaml.safe_load(src.read_text(encoding="utf-8")) or {}) if src.exists() else {}
    extract = raw.setdefault("extract", {}) or {}
    extract["articles_per_run"] = max(int(extract.get("articles_per_run") or 0), articles)
    raw["extract"] = extract
    path = workdir / "diplowatch-bench.yml"
    path.write_text("# Written by diplowatch.bench for the event_extract run; see docs/BENCHMARKS.md.\n"
                    + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _psycopg2_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg2://", "postgresql://", 1)


def _summaries(value: Any) -> list[dict[str, Any]]:
    """BatchSummary dicts inside an XCom value, however Airflow wrapped it (JSON text, __data__ envelopes)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return []
    if isinstance(value, dict):
        if "seconds" in value and "articles" in value:
            return [value]
        return [s for v in value.values() for s in _summaries(v)]
    if isinstance(value, list):
        return [s for v in value for s in _summaries(v)]
    return []


def _run_child(cmd: list[str], env: dict[str, str], log_path: Path) -> tuple[int, float, float]:
    """(exit code, wall seconds, peak RSS MiB) of one child; output goes to log_path."""
    with log_path.open("wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=project_root(), stdout=log, stderr=subprocess.STDOUT)
        watchdog = threading.Timer(CHILD_TIMEOUT_S, proc.kill)
        watchdog.start()
        try:
            # wait4 rather than wait(): it returns this child's own resource usage (ru_maxrss in KiB on Linux).
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024


def measure_e2e(server: BenchServer, corpus: Sequence[BenchArticle], workdir: Path, home: Path,
                progress: Progress) -> E2EMeasure:
    from diplowatch.pipeline.airflow_env import airflow_env, migrate_metadata
    from diplowatch.warehouse import db, load

    url = server.fresh_database()
    with db.connection(url) as conn:
        load.upsert_sources(conn, [("bench-corpus", f"{PLACEHOLDER_BASE}/bench/feed.rss", "feed", None)])
        stored = load.upsert_articles(conn, article_rows(corpus, "bench-corpus"))
    progress(f"e2e: {stored} articles waiting in the warehouse")
    meta = server.ensure_database(server.airflow_dbname).replace("postgresql://", "postgresql+psycopg2://", 1)
    airflow_home = workdir / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = airflow_env(url, {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        "DIPLOWATCH_HOME": str(home),
        "DIPLOWATCH_CONFIG": str(bench_config(workdir, len(corpus))),
        # The connection outranks DIPLOWATCH_DB_URL inside tasks: pin both to the bench database.
        "AIRFLOW_CONN_DIPLOWATCH_DB": url,
        "DIPLOWATCH_DB_URL": url,
    })
    t0 = time.perf_counter()
    progress("e2e: migrating Airflow's metadata database (not timed; the first time takes a while)")
    migrate_metadata(env)
    progress(f"e2e: metadata ready in {time.perf_counter() - t0:.0f}s; running {DAG_ID} with dag.test() "
             "in a child process (timed)")

    meta_url = _psycopg2_url(meta)
    with psycopg2.connect(meta_url) as mconn, mconn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM dag_run WHERE dag_id = %s", (DAG_ID,))
        last_run_before = cur.fetchone()[0]
    mconn.close()

    log_path = workdir / "logs" / f"e2e-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "diplowatch.cli", "dags", "test", DAG_ID]
    code, wall, rss = _run_child(cmd, {**os.environ, **env}, log_path)
    output = log_path.read_text(encoding="utf-8", errors="replace")

    state, dagrun_s, summaries = "unknown", None, []
    with psycopg2.connect(meta_url) as mconn, mconn.cursor() as cur:
        cur.execute("SELECT run_id, state, start_date, end_date FROM dag_run WHERE dag_id = %s AND id > %s "
                    "ORDER BY id DESC LIMIT 1", (DAG_ID, last_run_before))
        row = cur.fetchone()
        if row:
            run_id, state, start, end = row
            if start and end:
                dagrun_s = (end - start).total_seconds()
            cur.execute("SELECT value FROM xcom WHERE dag_id = %s AND run_id = %s AND task_id = %s "
                        "AND key = 'return_value'", (DAG_ID, run_id, MAPPED_TASK))
            summaries = [s for (v,) in cur.fetchall() for s in _summaries(v)]
    mconn.close()
    with db.connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE processed_at IS NOT NULL")
        processed = int(cur.fetchone()[0])
    result = E2EMeasure(
        articles=processed, wall_s=wall, dagrun_s=dagrun_s,
        work_s=sum(float(s.get("seconds") or 0) for s in summaries), batches=len(summaries),
        events_extracted=sum(int(s.get("events_extracted") or 0) for s in summaries),
        events_quarantined=sum(int(s.get("events_quarantined") or 0) for s in summaries),
        mentions_new=sum(int(s.get("mentions_new") or 0) for s in summaries),
        state=str(state), exit_code=code, peak_rss_mib=rss,
        extraction_failures=output.count("extraction failed for"), log_path=log_path,
    )
    progress(f"e2e: {DAG_ID} {result.state} (exit {code}) in {wall:.1f}s: {processed}/{len(corpus)} articles, "
             f"{result.batches} batches, work inside process_batch {result.work_s:.1f}s; log {log_path}")
    if code != 0 or processed != len(corpus):
        tail = "\n".join(output.strip().splitlines()[-25:])
        raise RuntimeError(f"the {DAG_ID} run did not process the corpus (exit {code}, state {state}, "
                           f"{processed}/{len(corpus)} articles); last lines of {log_path}:\n{tail}")
    return result
