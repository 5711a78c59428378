"""Which warehouse to talk to, and connections to it.

Driver: psycopg2, deliberately, everywhere in diplowatch. Airflow's
PostgresHook.get_conn() hands out a psycopg3 connection whenever `psycopg` is
importable (the postgres provider installs it), so we never call it: we read
the Airflow Connection's parameters and open a psycopg2 connection ourselves.
One driver means one COPY API (copy_expert, C-speed) and one set of error
classes in the loaders and the tests.

Resolution order:
1. an explicit URL argument;
2. the Airflow Connection `diplowatch_db` (AIRFLOW_CONN_DIPLOWATCH_DB, or the
   Airflow metadata DB / secrets backend when running inside a task);
3. DIPLOWATCH_DB_URL;
4. the embedded PostgreSQL under .diplowatch/pg/.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg2
import psycopg2.extensions

CONN_ID = "diplowatch_db"


def _airflow_conn_uri() -> str | None:
    raw = os.environ.get("AIRFLOW_CONN_" + CONN_ID.upper())
    if raw:
        raw = raw.strip()
        if raw.startswith("{"):  # Airflow also accepts a JSON connection
            d = json.loads(raw)
            user = quote(d.get("login") or "", safe="")
            pw = quote(d.get("password") or "", safe="")
            auth = f"{user}:{pw}@" if pw else (f"{user}@" if user else "")
            host = d.get("host") or ""
            port = f":{d['port']}" if d.get("port") else ""
            schema = d.get("schema") or ""
            return f"postgresql://{auth}{host}{port}/{schema}"
        return raw
    if os.environ.get("AIRFLOW_CTX_DAG_ID"):  # inside a running task: ask Airflow
        try:
            from airflow.sdk import Connection

            conn = Connection.get(CONN_ID)
        except Exception:
            return None
        return conn.get_uri()
    return None


def normalize_url(url: str) -> str:
    """Turn Airflow/SQLAlchemy spellings (postgres://, postgresql+psycopg2://) into a libpq URL."""
    url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url.strip())
    parts = urlsplit(url)
    if parts.scheme != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parts.scheme}://…")
    return url


def _mask_in_task_logs(url: str) -> None:
    """Inside an Airflow task, tell Airflow's secrets masker the password, so that no log line or
    traceback shows it (Airflow masks Connection passwords it resolves itself, not URLs read from
    AIRFLOW_CONN_* or DIPLOWATCH_DB_URL by us)."""
    if not os.environ.get("AIRFLOW_CTX_DAG_ID"):
        return
    try:
        password = urlsplit(url).password
    except ValueError:
        return
    if not password:
        return
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        return
    for form in {password, unquote(password)}:
        mask_secret(form)


def resolve_url(url: str | None = None) -> str:
    """The warehouse URL by the order above; starts the embedded server when needed."""
    if url:
        _mask_in_task_logs(url)
        return normalize_url(url)
    found = _airflow_conn_uri() or os.environ.get("DIPLOWATCH_DB_URL")
    if found:
        _mask_in_task_logs(found)
        return normalize_url(found)
    from diplowatch.warehouse.embedded import ensure_embedded

    return ensure_embedded()


def describe(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        netloc = netloc.replace(":" + quote(unquote(parts.password), safe="") + "@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def connect(url: str | None = None, **kwargs: Any) -> psycopg2.extensions.connection:
    """A new psycopg2 connection to the warehouse (autocommit off)."""
    dsn = resolve_url(url)
    kwargs.setdefault("connect_timeout", 10)
    kwargs.setdefault("application_name", "diplowatch")
    try:
        return psycopg2.connect(dsn, **kwargs)
    except psycopg2.Error as exc:
        # libpq quotes pieces of a malformed URL in its message ('invalid percent-encoded token:
        # "<password>"'), and task logs show exception messages as they are.
        hidden = _without_password(str(exc), dsn)
        if hidden is None:
            raise
        safe = type(exc)(hidden)
    raise safe  # outside the except block: the original (with the password) is not chained


def _without_password(message: str, url: str) -> str | None:
    """`message` with the URL's password replaced by ***, or None when it holds no password."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    hidden = message
    for form in {password or "", unquote(password or "")} - {""}:
        hidden = hidden.replace(form, "***")
    return hidden.strip() if hidden != message else None


@contextmanager
def connection(url: str | None = None) -> Iterator[psycopg2.extensions.connection]:
    """A connection that commits on success, rolls back on error, and is always closed."""
    conn = connect(url)
    try:
        yield conn
        conn.commit()
    except BaseException:
        try:
            conn.rollback()
        except psycopg2.Error:
            pass  # the session is gone (killed, network cut): the server rolled back; keep the real error
        raise
    finally:
        conn.close()
