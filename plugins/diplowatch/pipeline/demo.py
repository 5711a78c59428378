"""`diplowatch demo` (make demo) and `diplowatch up` (make up).

demo: embedded PostgreSQL, the offline sample served on 127.0.0.1, both DAGs
run once with dag.test(), then what landed in the warehouse.
up: Airflow standalone (api-server, scheduler, dag-processor, triggerer) on
the same warehouse, with the sample server beside it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from diplowatch.pipeline.airflow_env import airflow_env, airflow_home, apply, migrate_metadata
from diplowatch.settings import project_root

# Wide enough for the events table when the output is not a terminal (CI logs, `make demo | tee`).
console = Console(width=None if sys.stdout.isatty() else 132)
SAMPLE_ENV = {"DIPLOWATCH_SOURCE_GROUPS": "sample", "DIPLOWATCH_ALLOW_HOSTS": "127.0.0.1"}


def load_dag(dag_id: str) -> Any:
    """The DAG object defined in dags/<dag_id>.py."""
    path = project_root() / "dags" / f"{dag_id}.py"
    spec = importlib.util.spec_from_file_location(f"diplowatch_dag_{dag_id}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for value in vars(module).values():
        if getattr(value, "dag_id", None) == dag_id and hasattr(value, "test"):
            return value
    raise RuntimeError(f"{path} defines no DAG {dag_id!r}")


def run_dag(dag_id: str, **kwargs: Any) -> str:
    """Run one DAG run in this process with dag.test(); returns its final state."""
    dag = load_dag(dag_id)
    dr = dag.test(**kwargs)
    return str(getattr(dr, "state", "unknown"))


def run_dag_process(dag_id: str, log_path: Path) -> bool:
    """One DAG run with dag.test() in a child process (Airflow configured by this environment).

    A child keeps Airflow's own logging out of the demo's output: it goes to `log_path`.
    """
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.run([sys.executable, "-m", "diplowatch.cli", "dags", "test", dag_id],
                              stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(), timeout=1800)
    return proc.returncode == 0


def _summaries(log_path: Path) -> list[str]:
    """The one-paragraph summaries our tasks log ("Summary — …"), for the demo's output."""
    out = []
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if "Summary — " in line:
            text = line.split("Summary — ", 1)[1]
            out.append(text.split(" [diplowatch]")[0].strip())
    return out[-6:]


def prepare_airflow(warehouse_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = airflow_env(warehouse_url, extra)
    apply(env)
    migrate_metadata(env)
    return env


def run_demo() -> int:
    from diplowatch.sources.sample_server import SampleServer
    from diplowatch.warehouse import db, migrate

    started = time.perf_counter()
    logging.getLogger("airflow").setLevel(logging.WARNING)
    with console.status("Starting the warehouse (embedded PostgreSQL unless DIPLOWATCH_DB_URL is set)…"):
        url = db.resolve_url()
        with db.connection(url) as conn:
            applied = migrate.migrate(conn)
    console.print(f"[green]✓[/] warehouse {db.describe(url)} — {len(applied)} migration(s) applied")
    with console.status("Preparing Airflow's metadata database (first time: ~30 s)…"):
        prepare_airflow(url)
    console.print(f"[green]✓[/] Airflow home {airflow_home()}")
    # The sample's article URLs include the server's port; the same port as `make up` means a
    # later scheduled run recognises the pages it already stored.
    try:
        sample = SampleServer(port=int(os.environ.get("DIPLOWATCH_SAMPLE_PORT", "8765")))
    except OSError:
        sample = SampleServer()
    with sample as server:
        os.environ.update({**SAMPLE_ENV, "DIPLOWATCH_SAMPLE_BASE": server.base_url})
        console.print(f"[green]✓[/] sample feeds served on {server.base_url}/feeds/")
        logs = airflow_home().parent / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for dag_id in ("news_ingest", "event_extract"):
            t = time.perf_counter()
            log_path = logs / f"demo-{dag_id}.log"
            with console.status(f"Running DAG {dag_id} (dag.test; Airflow's log: {log_path})…"):
                ok = run_dag_process(dag_id, log_path)
            mark = "[green]✓[/]" if ok else "[red]✗[/]"
            console.print(f"{mark} {dag_id}: {'success' if ok else 'FAILED'} in {time.perf_counter() - t:.1f}s"
                          f" — log {log_path}")
            for line in _summaries(log_path):
                console.print(f"    {line}", highlight=False)
            if not ok:
                console.print("[red]The last lines of the log:[/]")
                console.print("\n".join(log_path.read_text(errors="replace").splitlines()[-25:]), highlight=False)
                return 1
    show_warehouse(url)
    console.print(f"\nDemo finished in {time.perf_counter() - started:.0f}s.")
    console.print(
        "Next: [bold]make up[/] starts the Airflow UI on http://localhost:8080 (user admin; password in "
        f"{airflow_home() / 'simple_auth_manager_passwords.json.generated'}); the events page is "
        "http://localhost:8080/diplowatch/ .\nQuery the warehouse with SQL: psql \"$(diplowatch db url)\"."
    )
    return 0


def show_warehouse(url: str) -> None:
    from diplowatch.warehouse import db, migrate

    with db.connection(url) as conn:
        status = migrate.status(conn)
        with conn.cursor() as cur:
            cur.execute(
                """SELECT coalesce(event_date, '—'), event_type, source_country, target_country, status,
                          coalesce(source_actor, ''), coalesce(context, ''), mention_count
                   FROM events ORDER BY event_day DESC NULLS LAST, loaded_at DESC, event_id LIMIT 10"""
            )
            latest = cur.fetchall()
    counts = Table(title="Warehouse row counts")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for table, n in status["tables"].items():
        counts.add_row(table, str(n))
    console.print(counts)
    events = Table(title="10 latest events")
    for col in ("date", "type", "source → target", "status", "source actor", "context", "mentions"):
        events.add_column(col)
    for d, t, s, g, st, actor, ctx, n in latest:
        events.add_row(d, t, f"{s} → {g}", st, actor, ctx, str(n))
    console.print(events)


def run_up(port: int = 8080) -> int:
    """Start the sample server and `airflow standalone` in the foreground (Ctrl-C stops both)."""
    from diplowatch.warehouse import db, migrate

    url = db.resolve_url()
    with db.connection(url) as conn:
        migrate.migrate(conn)
    sample_port = int(os.environ.get("DIPLOWATCH_SAMPLE_PORT", "8765"))
    extra = {"AIRFLOW__API__PORT": str(port), "DIPLOWATCH_SAMPLE_BASE": f"http://127.0.0.1:{sample_port}",
             # Task processes report to this api-server's execution API, not to whatever runs on 8080.
             "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/"}
    extra.update({k: os.environ.get(k) or v for k, v in SAMPLE_ENV.items()})
    console.print("Preparing Airflow's metadata database…")
    env = prepare_airflow(url, extra)
    bin_dir = str(Path(sys.executable).parent)
    full_env = {**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    sample = subprocess.Popen(
        [sys.executable, "-c", f"from diplowatch.sources.sample_server import serve_forever; serve_forever({sample_port})"],
        env=full_env,
    )
    console.print(
        f"Airflow UI: http://localhost:{port}  (user admin; password in "
        f"{airflow_home() / 'simple_auth_manager_passwords.json.generated'})\n"
        f"Diplomatic events page: http://localhost:{port}/diplowatch/\nCtrl-C stops everything."
    )
    try:
        return subprocess.call([str(Path(bin_dir) / "airflow"), "standalone"], env=full_env)
    except KeyboardInterrupt:
        return 0
    finally:
        sample.terminate()
