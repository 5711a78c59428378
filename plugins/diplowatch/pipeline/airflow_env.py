"""The environment Airflow runs in for `make demo`, `make up` and the tests.

AIRFLOW_HOME defaults to .diplowatch/airflow/. Airflow's own metadata database
is a separate database (`airflow`) on the same PostgreSQL server as the
warehouse — the embedded one by default. PostgreSQL rather than SQLite
because Airflow 3's LocalExecutor runs tasks in parallel processes and the
scheduler, dag-processor and api-server all write to the metadata DB at once;
SQLite serialises those writers and is documented for development only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from diplowatch.settings import home, project_root


def airflow_home() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME") or home() / "airflow")


def metadata_url(warehouse_url: str, dbname: str = "airflow") -> str:
    """A SQLAlchemy URL for Airflow's metadata DB next to the warehouse."""
    from diplowatch.warehouse.embedded import ensure_database

    parts = urlsplit(warehouse_url)
    server = urlunsplit(parts._replace(path="/postgres"))
    ensure_database(server, dbname)
    meta = urlunsplit(parts._replace(path="/" + dbname))
    return meta.replace("postgresql://", "postgresql+psycopg2://", 1)


def airflow_env(warehouse_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment variables for Airflow processes (and for dag.test() in this one)."""
    root = project_root()
    extra = extra or {}
    meta = (extra.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
            or metadata_url(warehouse_url))
    env = {
        "AIRFLOW_HOME": str(airflow_home()),
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__API__PORT": "8080",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "DIPLOWATCH_DB_URL": warehouse_url,
    }
    env.update(extra)
    return env


def apply(env: dict[str, str]) -> None:
    os.environ.update(env)
    airflow_home().mkdir(parents=True, exist_ok=True)


def migrate_metadata(env: dict[str, str]) -> None:
    """`airflow db migrate` in a subprocess (idempotent; quick when already current)."""
    airflow = Path(sys.executable).parent / "airflow"
    cmd = [str(airflow) if airflow.exists() else "airflow", "db", "migrate"]
    proc = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError("airflow db migrate failed: " + " | ".join(tail))
