"""Every DAG imports without errors and carries owner, tags, retries >= 2, doc_md and a timeout.

The DagBag is built in a child process with its own AIRFLOW_HOME, as Airflow's
dag-processor would, so this test process never loads Airflow's configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

SCRIPT = r"""
import json, warnings
warnings.simplefilter("ignore")
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=%r)
out = {"errors": {k: str(v)[-500:] for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tags": sorted(dag.tags), "doc_md": bool(dag.doc_md and len(dag.doc_md) > 200),
        "schedule": type(dag.timetable).__name__ + " " + repr(getattr(dag.timetable, "asset_condition", "")), "catchup": dag.catchup,
        "tasks": {t.task_id: {"owner": t.owner, "retries": t.retries, "doc": bool(t.doc_md),
                              "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                              "outlets": [getattr(o, "name", str(o)) for o in t.outlets]}
                  for t in dag.tasks},
    }
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("airflow_home")
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT % str(REPO / "dags")], env=env, capture_output=True,
                          text=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(line[len("RESULT"):])


def test_no_import_errors(dagbag: dict) -> None:
    assert dagbag["errors"] == {}
    assert set(dagbag["dags"]) == {"news_ingest", "event_extract"}


@pytest.mark.parametrize("dag_id", ["news_ingest", "event_extract"])
def test_dag_metadata(dagbag: dict, dag_id: str) -> None:
    dag = dagbag["dags"][dag_id]
    assert "diplowatch" in dag["tags"]
    assert dag["doc_md"], "doc_md must tell an operator what the DAG does and what to do when it fails"
    assert dag["catchup"] is False
    for task_id, task in dag["tasks"].items():
        assert task["owner"] == "diplowatch", task_id
        assert task["retries"] >= 2, task_id
        assert task["doc"], f"{task_id} has no doc_md"
        assert task["timeout"] and task["timeout"] <= 3600, task_id


def test_assets_link_the_dags(dagbag: dict) -> None:
    ingest = dagbag["dags"]["news_ingest"]
    outlets = [o for t in ingest["tasks"].values() for o in t["outlets"]]
    assert "diplowatch_articles" in outlets
    assert "diplowatch_articles" in dagbag["dags"]["event_extract"]["schedule"]


def test_dag_files_are_thin() -> None:
    """DAG files import no heavy library at module level (Airflow parses them every few minutes)."""
    for path in (REPO / "dags").glob("*.py"):
        head = [ln for ln in path.read_text().splitlines() if ln.startswith(("import ", "from "))]
        for line in head:
            assert not any(mod in line for mod in ("spacy", "psycopg", "great_expectations", "trafilatura")), (path, line)
