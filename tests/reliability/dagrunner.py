"""Real Airflow DAG runs (dag.test) in one child process, driven line by line from a test.

`diplowatch dags test` pays Airflow's start-up and the model loading on every run; a test that
needs several runs with checks in between (rerun a run, clear one task, run over overlapping
data) keeps one of these children instead. Each stdin line is a JSON command:
    {"dag_id": "news_ingest", "logical_date": "2025-06-01T00:00:00+00:00" | null | "now",
     "mark_success_pattern": "prepare|fetch\\.report", "env": {"VAR": "value"}}
and the answer is one stdout line `@@result {"state": ..., "tis": {task_id[map_index]: [state, try_number]}}`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

MARK = "@@result "


def _serve() -> None:
    from diplowatch.pipeline.demo import load_dag

    dags: dict[str, Any] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        os.environ.update(cmd.get("env") or {})
        dag = dags.get(cmd["dag_id"]) or load_dag(cmd["dag_id"])
        dags[cmd["dag_id"]] = dag
        for task in dag.tasks:  # retries within seconds instead of the DAG's 30 s
            if cmd.get("retry_delay_s") is not None:
                from datetime import timedelta

                task.retry_delay = timedelta(seconds=cmd["retry_delay_s"])
                task.retry_exponential_backoff = False
        kwargs: dict[str, Any] = {}
        when = cmd.get("logical_date", "now")
        if when != "now":
            kwargs["logical_date"] = datetime.fromisoformat(when) if when else None
        if cmd.get("mark_success_pattern"):
            kwargs["mark_success_pattern"] = cmd["mark_success_pattern"]
        started = time.perf_counter()
        try:
            if cmd.get("clear_run_id"):
                dr = _clear_and_rerun(dag, cmd["clear_run_id"], cmd.get("task_regex") or ".*")
            else:
                dr = dag.test(**kwargs)
            tis = {f"{ti.task_id}[{ti.map_index}]": [str(ti.state), ti.try_number] for ti in dr.get_task_instances()}
            out = {"state": str(dr.state), "run_id": dr.run_id, "tis": tis}
        except Exception as exc:  # report, keep serving
            out = {"state": "error", "error": f"{type(exc).__name__}: {exc}"}
        out["seconds"] = round(time.perf_counter() - started, 2)
        print(MARK + json.dumps(out), flush=True)


def _clear_and_rerun(dag: Any, run_id: str, task_regex: str) -> Any:
    """Clear the task instances of `run_id` whose task id matches, as `airflow tasks clear` or the
    UI's Clear button do (same run id, same XComs upstream), then drive the run to its end with
    the minimal scheduling loop of dag.test()."""
    import re

    from airflow import settings
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import clear_task_instances
    from airflow.sdk import timezone
    from airflow.sdk.definitions.dag import _run_task
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.state import DagRunState, TaskInstanceState
    from sqlalchemy import select

    session = settings.Session()
    dr = session.scalar(select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.run_id == run_id))
    assert dr is not None, f"no run {run_id}"
    dr.dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    tis = [ti for ti in dr.get_task_instances(session=session) if re.fullmatch(task_regex, ti.task_id)]
    assert tis, f"no task matches {task_regex}"
    clear_task_instances(tis, session, dag_run_state=DagRunState.QUEUED)
    session.commit()
    dr.state = DagRunState.RUNNING
    session.commit()
    finished = {TaskInstanceState.SUCCESS, TaskInstanceState.FAILED, TaskInstanceState.SKIPPED,
                TaskInstanceState.UPSTREAM_FAILED, TaskInstanceState.REMOVED}
    while dr.state == DagRunState.RUNNING:
        session.expire_all()
        schedulable, _ = dr.update_state(session=session)
        for ti in schedulable:
            if ti.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                ti.try_number += 1
            ti.state = TaskInstanceState.SCHEDULED
            ti.scheduled_dttm = timezone.utcnow()
        session.commit()
        all_tis = dr.get_task_instances(session=session)
        scheduled = [ti for ti in all_tis if ti.state == TaskInstanceState.SCHEDULED]
        if not scheduled and any(ti.state not in finished for ti in all_tis):
            time.sleep(0.5)
        for ti in scheduled:
            try:
                _run_task(ti=ti, task=dag.task_dict[ti.task_id], run_triggerer=True)
            except Exception as exc:  # the task's failure is in its state
                print(f"task {ti.task_id} failed: {exc}", flush=True)
    return dr


class DagRunner:
    """The parent side: `with DagRunner(env) as r: r.run("news_ingest", logical_date=None)`."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    def __enter__(self) -> DagRunner:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.dagrunner"],
            env={**os.environ, **self.env}, cwd=self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1,
        )
        return self

    def run(self, dag_id: str, logical_date: str | None = "now", mark_success_pattern: str | None = None,
            env: dict[str, str] | None = None, retry_delay_s: float | None = None, timeout: float = 240) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        cmd = {"dag_id": dag_id, "logical_date": logical_date, "mark_success_pattern": mark_success_pattern,
               "env": env or {}, "retry_delay_s": retry_delay_s}
        return self._send(cmd, timeout)

    def _send(self, cmd: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        dag_id = cmd["dag_id"]
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("DAG runner died:\n" + "".join(self.log[-60:]))
            self.log.append(line)
            if line.startswith(MARK):
                return json.loads(line[len(MARK):])
        raise AssertionError(f"{dag_id} did not finish in {timeout}s")

    def clear(self, dag_id: str, run_id: str, task_regex: str = ".*", timeout: float = 240) -> dict[str, Any]:
        """Clear matching task instances of an existing run and let them run again (same run id)."""
        return self._send({"dag_id": dag_id, "clear_run_id": run_id, "task_regex": task_regex}, timeout)

    def output(self) -> str:
        return "".join(self.log)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            try:
                rest, _ = self.proc.communicate(timeout=3)  # closes stdin: the child ends
                self.log.append(rest or "")
            except subprocess.TimeoutExpired:  # Airflow's shutdown is slow and we have its output
                self.proc.kill()
                rest, _ = self.proc.communicate()
                self.log.append(rest or "")


if __name__ == "__main__":
    _serve()
