"""Idempotency and warehouse faults through real Airflow DAG runs (dag.test) against real PostgreSQL.

One child process (tests/reliability/dagrunner.py) keeps Airflow and the models loaded across the
runs of this module, so that a dozen DAG runs cost what three `diplowatch dags test` would.
The warehouse is reached through PgProxy with a password in the URL: the proxy is the switch for
"PostgreSQL unreachable", and the password must never appear in the task logs.

Proved here:
- a manual run and an asset-style run with no logical date (Airflow 3) both work;
- clearing a whole DAG run, clearing one task of it, and clearing one extraction batch after its
  articles were marked unprocessed leave identical rows and identical event ids;
- a second dag.test() with the same logical date, and a run over a feed that overlaps earlier
  runs, add exactly the new articles and keep every earlier id;
- the warehouse down at the start of a run fails it (nothing written), and clearing it after the
  warehouse is back loads exactly once; the warehouse coming back between two attempts of a task
  is picked up by Airflow's retry;
- a password that libpq echoes in an error message is masked in the task log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from diplowatch.warehouse import load
from tests.conftest import REPO
from tests.reliability.conftest import counts, no_duplicates
from tests.reliability.dagrunner import DagRunner
from tests.reliability.localnet import NewsServer, PgProxy, Route, article_html, rss

pytestmark = pytest.mark.slow

PASSWORD = "Sup3r-S3cret-pw"
FEED = "application/rss+xml"
DATE_X = "2025-06-01T00:00:00+00:00"


class Site:
    """The sources of this module: two good feeds sharing an article and a feed answering 500.
    (A feed hanging past the read timeout is in test_source_faults: here it would only cost time.)"""

    def __init__(self, srv: NewsServer) -> None:
        self.srv = srv
        for i in range(12):
            srv.routes[f"/a/{i}"] = Route(article_html(i))
        self.alpha(range(0, 4))
        srv.routes["/beta.rss"] = Route(rss([(self.url(3), "shared"), (self.url(4), "b4"),
                                             (self.url(5) + "?utm_source=rss", "b5"), (self.url(5), "b5 again")]), FEED)
        srv.routes["/broken.rss"] = Route(b"down for maintenance", "text/plain", status=500)

    def url(self, i: int) -> str:
        return f"{self.srv.base}/a/{i}"

    def alpha(self, items: range) -> None:
        entries = [(self.url(i), f"a{i}") for i in items] + [(f"{self.srv.base}/gone", "a 404 link")]
        self.srv.routes["/alpha.rss"] = Route(rss(entries), FEED)

    def ids(self, items: range | list[int]) -> list[str]:
        return sorted(load.article_id_for(self.url(i)) for i in items)

    def sources_yml(self, path: Path) -> Path:
        lines = ["sources:"] + [
            f'  - {{name: {name}, url: "{self.srv.base}/{name}.rss", group: reliability}}'
            for name in ("alpha", "beta", "broken")
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def airflow_session(airflow_ready: dict[str, str], warehouse_url: str, fast_config: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DagRunner, Site, PgProxy]]:
    with NewsServer() as srv, PgProxy(warehouse_url) as proxy:
        site = Site(srv)
        sources = site.sources_yml(tmp_path_factory.mktemp("rel") / "sources.yml")
        conn_url = proxy.url.replace("postgres@", f"postgres:{PASSWORD}@", 1)
        env = {**airflow_ready, "DIPLOWATCH_SOURCES": str(sources), "DIPLOWATCH_SOURCE_GROUPS": "reliability",
               "DIPLOWATCH_CONFIG": str(fast_config), "AIRFLOW_CONN_DIPLOWATCH_DB": conn_url}
        with DagRunner(env, REPO) as runner:
            yield runner, site, proxy
        log = runner.output()
        assert PASSWORD not in log
        assert "Sup3r%zz" not in log
        for path in Path(airflow_ready["AIRFLOW_HOME"]).rglob("*.log"):
            assert PASSWORD not in path.read_text(errors="replace"), path


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["state"].endswith("success"), result
    return result


def _unprocess(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE articles SET processed_at = NULL, extract_status = NULL")
    conn.close()


def _fetch_errors(url: str) -> list[tuple[str, str, str]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT run_key, source_id, stage FROM fetch_errors ORDER BY 1, 2, 3")
        rows = cur.fetchall()
    conn.close()
    return rows


def _events(url: str) -> dict[str, tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT event_id, event_type, source_country, target_country, event_date, sentence, article_id "
                    "FROM events")
        rows = {r[0]: r[1:] for r in cur.fetchall()}
    conn.close()
    return rows


def test_reruns_clears_and_overlapping_runs_leave_the_same_rows(airflow_session: Any, clean_warehouse: str) -> None:
    runner, site, _ = airflow_session
    url = clean_warehouse
    # Manual / asset-triggered runs: no logical date in Airflow 3.
    ingest = _ok(runner.run("news_ingest", logical_date=None))
    first = counts(url)
    assert first["article_ids"] == site.ids(range(6))
    assert [(s, st) for _, s, st in _fetch_errors(url)] == [("alpha", "page"), ("broken", "feed")]
    extract = _ok(runner.run("event_extract", logical_date=None))
    done = counts(url)
    assert done["events"] > 0 and done["event_mentions"] >= done["events"]

    # Clear the whole ingest run (same run id): nothing moves, not even fetch_errors.
    again = _ok(runner.clear("news_ingest", ingest["run_id"]))
    assert again["tis"]["prepare[-1]"][1] == 2  # really ran again
    assert counts(url) == done
    # Clear one task of it (every source's mapped instance).
    _ok(runner.clear("news_ingest", ingest["run_id"], r"fetch\.ingest_source"))
    assert counts(url) == done
    # Clear one extraction batch after its articles were marked unprocessed (its result "lost").
    _unprocess(url)
    _ok(runner.clear("event_extract", extract["run_id"], r"extract\.extract_batch"))
    assert counts(url) == done
    # ... and the whole extraction run the same way.
    _unprocess(url)
    _ok(runner.clear("event_extract", extract["run_id"]))
    assert counts(url) == done
    no_duplicates(url)

    # Overlap: the alpha feed now lists 2..7 (2..5 known, 6 and 7 new), in a run with a logical date.
    events_before = _events(url)
    site.alpha(range(2, 8))
    _ok(runner.run("news_ingest", logical_date=DATE_X))
    _ok(runner.run("event_extract", logical_date=DATE_X))
    overlap = counts(url)
    assert overlap["article_ids"] == site.ids(range(8))
    assert set(done["mention_ids"]) < set(overlap["mention_ids"])
    events_after = _events(url)
    assert all(events_after[e] == row for e, row in events_before.items())  # earlier events untouched
    # The same logical date again (dag.test replaces the run: a new run id, same data).
    replaced = _ok(runner.run("news_ingest", logical_date=DATE_X))
    _ok(runner.run("event_extract", logical_date=DATE_X))
    rerun = counts(url)
    assert {k: v for k, v in rerun.items() if k != "fetch_errors"} == {
        k: v for k, v in overlap.items() if k != "fetch_errors"}
    # Errors are kept per run, under the run's key: the failing feed again; the 404 link is not
    # asked again (a 4xx is final and the alpha feed answered 304).
    assert [(s, st) for k, s, st in _fetch_errors(url) if k == replaced["run_id"]] == [("broken", "feed")]
    no_duplicates(url)


def _metadata_url(env: dict[str, str]) -> str:
    return env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg2://", "postgresql://", 1)


def test_warehouse_down_fails_the_run_and_clearing_it_loads_once(
    airflow_session: Any, clean_warehouse: str, airflow_ready: dict[str, str]
) -> None:
    runner, site, proxy = airflow_session
    site.alpha(range(0, 4))
    before = counts(clean_warehouse)
    proxy.down()
    try:
        failed = runner.run("news_ingest", logical_date=None, retry_delay_s=0.2)
    finally:
        proxy.up()
    assert failed["state"].endswith("failed"), failed
    assert failed["tis"]["prepare[-1]"] == ["failed", 3]  # 1 + retries=2, all refused
    assert counts(clean_warehouse) == before
    _ok(runner.clear("news_ingest", failed["run_id"]))
    after = counts(clean_warehouse)
    assert after["article_ids"] == site.ids(range(6))
    _ok(runner.clear("news_ingest", failed["run_id"]))
    assert counts(clean_warehouse) == after

    # The retry path: down at the first attempt, back before the second.
    site.alpha(range(0, 8))
    meta = psycopg2.connect(_metadata_url(airflow_ready))
    meta.autocommit = True
    stop = threading.Event()

    def bring_back() -> None:
        with meta.cursor() as cur:
            while not stop.is_set():
                cur.execute("SELECT count(*) FROM task_instance WHERE dag_id = 'news_ingest' "
                            "AND task_id = 'prepare' AND state = 'up_for_retry'")
                if cur.fetchone()[0]:
                    proxy.up()
                    return
                time.sleep(0.05)

    proxy.down()
    watcher = threading.Thread(target=bring_back, daemon=True)
    watcher.start()
    try:
        retried = _ok(runner.run("news_ingest", logical_date=None, retry_delay_s=1))
    finally:
        stop.set()
        proxy.up()
        meta.close()
    assert retried["tis"]["prepare[-1]"] == ["success", 2]
    assert counts(clean_warehouse)["article_ids"] == site.ids(range(8))
    no_duplicates(clean_warehouse)


def test_a_password_libpq_echoes_is_masked_in_the_task_log(airflow_session: Any, clean_warehouse: str) -> None:
    """A connection URL with a malformed percent escape in its password makes libpq quote the
    password in its error message; the task log must show *** instead (Airflow's secrets masker)."""
    runner, _, proxy = airflow_session
    bad = proxy.url.replace("postgres@", "postgres:Sup3r%zzSecret@", 1)
    good = proxy.url.replace("postgres@", f"postgres:{PASSWORD}@", 1)
    start = len(runner.log)
    try:
        result = runner.run("news_ingest", logical_date=None, retry_delay_s=0.1,
                            env={"AIRFLOW_CONN_DIPLOWATCH_DB": bad})
    finally:
        runner.run("news_ingest", logical_date=None, env={"AIRFLOW_CONN_DIPLOWATCH_DB": good})
    assert result["state"].endswith("failed")
    log = "".join(runner.log[start:])
    assert "invalid percent-encoded token" in log  # the error is in the log...
    assert "Sup3r%zzSecret" not in log  # ...without the password
    assert "warehouse postgresql://postgres:***@127.0.0.1" in log  # prepare's own line, described


def test_extraction_killed_mid_batch_leaves_its_articles_for_the_next_run(
    airflow_session: Any, clean_warehouse: str
) -> None:
    """Fault: the process running event_extract is SIGKILLed while a batch holds its articles
    (row locks taken, extraction under way). Nothing of the batch is stored, its articles stay
    unprocessed, and the next run gives exactly the fault-free result. Last in this module: the
    DAG runner it kills is the module's."""
    import os
    import signal

    from diplowatch.pipeline import extract as pipeline_extract
    from tests.reliability.warehouse_faults import (
        extraction_state,
        reference_extraction,
        wait_backend_gone,
        wait_for_row_locks,
    )

    runner, site, _ = airflow_session
    site.alpha(range(0, 12))
    _ok(runner.run("news_ingest", logical_date=None))
    ids = counts(clean_warehouse)["article_ids"]
    assert len(ids) == 12
    reference = reference_extraction(clean_warehouse, ids)

    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(_try(runner.run, "event_extract", None)))
    worker.start()
    pid = wait_for_row_locks(clean_warehouse, alive=worker.is_alive)
    assert runner.proc is not None
    os.kill(runner.proc.pid, signal.SIGKILL)
    worker.join(30)
    assert outcome and isinstance(outcome[0], AssertionError)  # "DAG runner died"
    wait_backend_gone(clean_warehouse, pid)
    state = extraction_state(clean_warehouse)
    assert state["events"] == state["event_mentions"] == state["quality_results"] == state["quarantine"] == 0
    assert [s for _, s, _ in state["article_status"]] == [None] * 12
    # The next run (the same task functions, in this process) picks every article up.
    for batch in pipeline_extract.plan_batches(db_url=clean_warehouse):
        pipeline_extract.process_batch(batch, db_url=clean_warehouse)
    assert extraction_state(clean_warehouse) == reference
    no_duplicates(clean_warehouse)


def _try(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except AssertionError as exc:
        return exc
