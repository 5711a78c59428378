"""Shared test fixtures: a real PostgreSQL, a private DIPLOWATCH_HOME, Airflow set up for dag.test().

PostgreSQL: the server in DIPLOWATCH_TEST_DB_URL when it is set (a scratch
database is created on it and dropped afterwards), else an embedded server in
a temporary directory. Nothing is mocked.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """../shared beside the checkout (or $DIPLOWATCH_SHARED_DIR); None in a user's clone."""
    for candidate in (os.environ.get("DIPLOWATCH_SHARED_DIR"), REPO.parent / "shared", Path("/work/shared")):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def seed_file() -> Path | None:
    d = shared_dir()
    path = d / "seed" / "putin-china-visit-fr-2023-07.txt" if d else None
    return path if path and path.exists() else None


@pytest.fixture(scope="session", autouse=True)
def diplowatch_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("dwhome")
    old = os.environ.get("DIPLOWATCH_HOME")
    os.environ["DIPLOWATCH_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("DIPLOWATCH_HOME", None)
    else:
        os.environ["DIPLOWATCH_HOME"] = old


def _with_db(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database (postgres)."""
    given = os.environ.get("DIPLOWATCH_TEST_DB_URL")
    if given:
        yield given
        return
    from diplowatch.warehouse.embedded import ensure_embedded, stop_embedded

    pgdata = Path("/tmp") / f"dwpg-{uuid.uuid4().hex[:8]}"  # short path: the Unix socket lives here
    url = ensure_embedded("postgres", pgdata=pgdata)
    yield url
    stop_embedded(pgdata)
    import shutil

    shutil.rmtree(pgdata, ignore_errors=True)


def _create_db(server_url: str, name: str) -> str:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return _with_db(server_url, name)


def _drop_db(server_url: str, name: str) -> None:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def warehouse_url(pg_server: str) -> Iterator[str]:
    """A fresh, migrated warehouse database for the session; DIPLOWATCH_DB_URL points at it."""
    from diplowatch.warehouse import db, migrate

    name = f"dw_test_{os.getpid()}"
    url = _create_db(pg_server, name)
    with db.connection(url) as conn:
        migrate.migrate(conn)
    old = os.environ.get("DIPLOWATCH_DB_URL")
    os.environ["DIPLOWATCH_DB_URL"] = url
    yield url
    if old is None:
        os.environ.pop("DIPLOWATCH_DB_URL", None)
    else:
        os.environ["DIPLOWATCH_DB_URL"] = old
    _drop_db(pg_server, name)


@pytest.fixture()
def clean_warehouse(warehouse_url: str) -> str:
    """The session warehouse with every data table emptied (schema kept)."""
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "TRUNCATE event_mentions, events, quarantine, quality_results, fetch_errors, articles, sources "
            "RESTART IDENTITY CASCADE"
        )
    return warehouse_url


@pytest.fixture(scope="session")
def airflow_ready(pg_server: str, warehouse_url: str, diplowatch_home: Path) -> Iterator[dict[str, str]]:
    """Environment for Airflow subprocesses (metadata DB on the same server, migrated).

    DAG runs happen in a child process (`diplowatch dags test`), as they would in
    production, so this process never imports Airflow's configuration.
    """
    from diplowatch.pipeline.airflow_env import airflow_env, migrate_metadata

    meta_name = f"dw_airflow_{os.getpid()}"
    meta = _create_db(pg_server, meta_name).replace("postgresql://", "postgresql+psycopg2://", 1)
    env = airflow_env(warehouse_url, {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        "AIRFLOW_HOME": str(diplowatch_home / "airflow"),
        "DIPLOWATCH_HOME": str(diplowatch_home),
    })
    (diplowatch_home / "airflow").mkdir(exist_ok=True)
    migrate_metadata(env)
    yield env
    _drop_db(pg_server, meta_name)


def run_dag(dag_id: str, env: dict[str, str], extra: dict[str, str] | None = None, timeout: int = 600) -> str:
    """Run one DAG run with dag.test() in a child process; returns its output (fails the test on error)."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "diplowatch.cli", "dags", "test", dag_id]
    proc = subprocess.run(cmd, env={**os.environ, **env, **(extra or {})}, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{dag_id} failed (exit {proc.returncode}):\n{out[-4000:]}"
    return out
