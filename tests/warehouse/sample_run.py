"""Fill a warehouse the way production does: both DAGs (dag.test() in a child process) over the
bundled sample served on 127.0.0.1. Shared by the analyst-query tests and the browser test.

The only departure from `make demo`: a settings file with no per-host delay between requests
(the sample server is ours; the delay would add ~40 s of sleeping to every run).
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from diplowatch.sources.sample_server import SampleServer
from tests.conftest import REPO, run_dag

SAMPLE_DAGS = ("news_ingest", "event_extract")


def fast_settings(folder: Path) -> Path:
    """config/diplowatch.yml with per_host_delay_s = 0, written into `folder`."""
    settings = yaml.safe_load((REPO / "config" / "diplowatch.yml").read_text(encoding="utf-8")) or {}
    settings.setdefault("http", {})["per_host_delay_s"] = 0
    path = folder / "diplowatch.yml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def run_sample_dags(airflow_env: dict[str, str], workdir: Path) -> dict[str, float]:
    """Run news_ingest then event_extract over data/sample/ into the warehouse `airflow_env` points at.

    Returns the seconds each DAG took. Fails the calling test when a DAG run fails.
    """
    seconds: dict[str, float] = {}
    with SampleServer() as server:
        extra = {
            "DIPLOWATCH_SAMPLE_BASE": server.base_url,
            "DIPLOWATCH_SOURCE_GROUPS": "sample",
            "DIPLOWATCH_ALLOW_HOSTS": "127.0.0.1",
            "DIPLOWATCH_CONFIG": str(fast_settings(workdir)),
        }
        for dag_id in SAMPLE_DAGS:
            started = time.perf_counter()
            run_dag(dag_id, airflow_env, extra)
            seconds[dag_id] = time.perf_counter() - started
    return seconds
