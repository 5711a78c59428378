"""Numbered SQL migrations from sql/, applied once each and recorded in schema_migrations."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg2.extensions
import psycopg2.extras

from diplowatch.events.taxonomy import event_types
from diplowatch.settings import sql_dir

MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
LOCK_KEY = 7318_2024  # pg_advisory_xact_lock key: one migrate at a time per database


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def migrations(directory: Path | None = None) -> list[Migration]:
    directory = directory or sql_dir()
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = MIGRATION_RE.match(path.name)
        if m and m.group(1) != "000":
            found.append(Migration(m.group(1), path.name, path))
    return found


def applied(conn: psycopg2.extensions.connection) -> list[dict]:
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        if not cur.fetchone()["present"]:
            return []
        cur.execute("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
        return [dict(r) for r in cur.fetchall()]


def migrate(conn: psycopg2.extensions.connection, directory: Path | None = None) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns the names applied.

    Safe to run from two processes at once (advisory lock) and to run again.
    """
    directory = directory or sql_dir()
    done: list[str] = []
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        with conn.cursor() as cur:
            cur.execute((directory / "000_schema_migrations.sql").read_text(encoding="utf-8"))
        conn.commit()
        known = {r["version"]: r for r in applied(conn)}
        for mig in migrations(directory):
            if mig.version in known:
                continue
            with conn.cursor() as cur:
                cur.execute(mig.path.read_text(encoding="utf-8"))
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (mig.version, mig.name, mig.checksum),
                )
            conn.commit()
            done.append(mig.name)
        sync_event_types(conn)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        conn.commit()
    return done


def sync_event_types(conn: psycopg2.extensions.connection) -> None:
    """Copy the taxonomy (events/data/taxonomy.yml, its one definition) into event_types."""
    rows = [
        (t.code, t.cameo, t.plover_type, t.plover_mode, t.symmetric, t.description)
        for t in event_types().values()
    ]
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO event_types (event_type, cameo_code, plover_type, plover_mode, is_symmetric, description)
               VALUES %s
               ON CONFLICT (event_type) DO UPDATE SET cameo_code = EXCLUDED.cameo_code,
                 plover_type = EXCLUDED.plover_type, plover_mode = EXCLUDED.plover_mode,
                 is_symmetric = EXCLUDED.is_symmetric, description = EXCLUDED.description""",
            rows,
        )


TABLES = (
    "sources", "articles", "events", "event_mentions", "event_types",
    "quality_results", "quarantine", "fetch_errors",
)


def status(conn: psycopg2.extensions.connection) -> dict:
    """Migrations applied and the row count of every table (CONTRACT: `db status --json`)."""
    from psycopg2 import sql

    result: dict = {"migrations": [r["name"] for r in applied(conn)], "tables": {}}
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
            if cur.fetchone()[0]:
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                result["tables"][table] = cur.fetchone()[0]
        pending = [m.name for m in migrations() if m.name not in result["migrations"]]
        result["pending"] = pending
        if "sources" in result["tables"]:
            cur.execute(
                "SELECT source_id, consecutive_failures, last_error FROM sources "
                "WHERE consecutive_failures >= 3 ORDER BY source_id"
            )
            result["failing_sources"] = [
                {"source": s, "consecutive_failures": n, "last_error": e} for s, n, e in cur.fetchall()
            ]
    return result
