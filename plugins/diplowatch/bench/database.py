"""The PostgreSQL server the benchmark writes to, and fresh databases on it.

The bench never writes into a warehouse someone uses. With DIPLOWATCH_DB_URL set
it creates its own databases (dw_bench and dw_bench_airflow, or the name in
DIPLOWATCH_BENCH_DB) on that URL's server, which needs the CREATEDB privilege;
otherwise it starts an embedded PostgreSQL under .bench/pg/. Each stage starts
from a database dropped and created again, so no stage sees another's rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

DEFAULT_DB = "dw_bench"


def with_db(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


@dataclass
class BenchServer:
    """Where the bench's databases live; `embedded_pgdata` is set when we started the server."""

    maintenance_url: str  # the server's `postgres` database
    dbname: str
    embedded_pgdata: Path | None = None

    @property
    def airflow_dbname(self) -> str:
        return self.dbname + "_airflow"

    def url(self, dbname: str | None = None) -> str:
        return with_db(self.maintenance_url, dbname or self.dbname)

    def server_version(self) -> str:
        conn = psycopg2.connect(self.maintenance_url)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW server_version")
                return str(cur.fetchone()[0])
        finally:
            conn.close()

    def fresh_database(self, dbname: str | None = None) -> str:
        """Drop (if present) and create the bench database; apply the migrations. Returns its URL."""
        name = dbname or self.dbname
        conn = psycopg2.connect(self.maintenance_url)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            conn.close()
        from diplowatch.warehouse import db, migrate

        url = self.url(name)
        with db.connection(url) as wconn:
            migrate.migrate(wconn)
        return url

    def ensure_database(self, dbname: str) -> str:
        """Create `dbname` if missing (kept between runs: Airflow's metadata migrates once)."""
        from diplowatch.warehouse.embedded import ensure_database

        ensure_database(self.maintenance_url, dbname)
        return self.url(dbname)

    def stop(self) -> None:
        """Stop the embedded server if the bench started one (an external server is left alone)."""
        if self.embedded_pgdata is not None:
            from diplowatch.warehouse.embedded import stop_embedded

            stop_embedded(self.embedded_pgdata)


def open_server(workdir: Path, db_url: str | None = None) -> BenchServer:
    """The server of `db_url` / DIPLOWATCH_DB_URL if given, else an embedded one under workdir/pg."""
    dbname = os.environ.get("DIPLOWATCH_BENCH_DB") or DEFAULT_DB
    given = db_url or os.environ.get("DIPLOWATCH_DB_URL")
    if given:
        from diplowatch.warehouse.db import normalize_url

        return BenchServer(with_db(normalize_url(given), "postgres"), dbname)
    from diplowatch.warehouse.embedded import ensure_embedded

    pgdata = workdir / "pg"
    url = ensure_embedded(dbname=dbname, pgdata=pgdata)
    return BenchServer(with_db(url, "postgres"), dbname, embedded_pgdata=pgdata)
