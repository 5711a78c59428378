"""news_ingest: poll every source in config/sources.yml and store new articles.

Thin by design: the work is in diplowatch.pipeline.tasks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task, task_group

from diplowatch.pipeline.assets import ARTICLES

DOC = """
### news_ingest — fetch news into the warehouse

**What it does.** Every 30 minutes: applies pending warehouse migrations, then
polls each source of `config/sources.yml` (one mapped task per source, named
after the source), fetches the article pages it has not seen before (politely:
robots.txt, per-host limits, conditional GET), extracts their text with
trafilatura and stores them in `articles`. When it ends it updates the
`diplowatch_articles` asset, which starts **event_extract**.

**Which sources.** The groups in `$DIPLOWATCH_SOURCE_GROUPS` (`live` by
default; `sample` for the offline sample that `make demo` / `make up` serve).

**When it fails.** A broken feed or page never fails the run: it is recorded in
the `fetch_errors` table and listed in the task log; `diplowatch db status`
flags sources failing 3 runs in a row. A failed *task* usually means the
warehouse is unreachable: check `diplowatch db status`, then clear the task —
reruns are safe (articles are keyed by canonical URL). Any failed task makes the
last task, `fail_run`, fail the run, so that it shows; the report still runs.
"""

DEFAULT_ARGS = {
    "owner": "diplowatch",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=20),
}


@dag(
    dag_id="news_ingest",
    schedule=timedelta(minutes=30),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["diplowatch", "ingest"],
    doc_md=DOC,
)
def news_ingest() -> None:
    @task(doc_md="Apply pending migrations; list the sources to poll.")
    def prepare() -> list[dict]:
        from diplowatch.pipeline.tasks import prepare_warehouse

        return prepare_warehouse()["sources"]

    @task_group(group_id="fetch", tooltip="One task per source: feed, new pages, parse, store")
    def fetch(sources: list[dict]) -> None:
        @task(map_index_template="{{ source_name }}", max_active_tis_per_dagrun=4,
              doc_md="Poll one source: feed (conditional GET), new article pages, parse, store.")
        def ingest_source(source: dict) -> dict:
            from diplowatch.pipeline.tasks import ingest

            context = get_current_context()
            context["source_name"] = source["name"]  # type: ignore[typeddict-unknown-key]
            return ingest(source, run_key=context["run_id"])

        results = ingest_source.expand(source=sources)

        @task(outlets=[ARTICLES], trigger_rule="all_done", doc_md="Sum up the run; update the articles asset.")
        def report(results: list[dict]) -> dict:
            from diplowatch.pipeline.tasks import report_ingest

            return report_ingest(list(results or []))

        # report runs whatever happened (all_done) and so always succeeds; without this task a run
        # whose tasks failed (warehouse unreachable) would still be marked successful.
        @task(trigger_rule="one_failed", doc_md="Runs only when a task failed, and fails the run so it shows.")
        def fail_run() -> None:
            from diplowatch.pipeline.tasks import fail_run_after_task_failure

            fail_run_after_task_failure()

        [results, report(results)] >> fail_run()

    fetch(prepare())


dag = news_ingest()
