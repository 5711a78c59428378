"""event_extract: code diplomatic events in new articles, validate them, load them.

Thin by design: the work is in diplowatch.pipeline.tasks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task, task_group

from diplowatch.pipeline.assets import ARTICLES, EVENTS

DOC = """
### event_extract — articles in, validated diplomatic events out

**What it does.** Runs whenever **news_ingest** updates the
`diplowatch_articles` asset (and can be triggered by hand). It cuts the
unprocessed articles into batches; for each batch (one mapped task) it runs
the spaCy-based extractor (English and French), validates articles and events
with Great Expectations, loads the events that pass into `events` /
`event_mentions` (reports of one real-world event are merged), puts the rows
that fail into `quarantine` with the failed expectation, stores the
validation run in `quality_results` (HTML report linked from the Diplomatic
events page) and marks the articles processed — all in one transaction.

**When it fails.** A batch that fails leaves its articles unprocessed; clear
the task to retry (reruns load nothing twice). Rows in quarantine are not
failures of the run: inspect them with `diplowatch quarantine list`, fix the
rule or data, then `diplowatch quarantine reprocess`. Any failed task makes the
last task, `fail_run`, fail the run, so that it shows; the report still runs.
"""

DEFAULT_ARGS = {
    "owner": "diplowatch",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=60),
}


@dag(
    dag_id="event_extract",
    schedule=[ARTICLES],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["diplowatch", "extract"],
    doc_md=DOC,
)
def event_extract() -> None:
    @task(doc_md="Cut the unprocessed articles into batches.")
    def plan() -> list[list[str]]:
        from diplowatch.pipeline.tasks import plan_extraction

        return plan_extraction()

    @task_group(group_id="extract", tooltip="Extract, validate (GX), quarantine, load — one task per batch")
    def extract(batches: list[list[str]]) -> None:
        @task(map_index_template="{{ batch_label }}", max_active_tis_per_dagrun=2,
              doc_md="Extract, validate and load one batch of articles in one transaction.")
        def extract_batch(article_ids: list[str]) -> dict:
            from airflow.sdk import get_current_context

            from diplowatch.pipeline.tasks import extract_batch as run

            context = get_current_context()
            context["batch_label"] = f"{len(article_ids)} articles from {article_ids[0][:8]}"  # type: ignore[typeddict-unknown-key]
            return run(article_ids)

        results = extract_batch.expand(article_ids=batches)

        @task(outlets=[EVENTS], trigger_rule="all_done", doc_md="Sum up the run; update the events asset.")
        def report(results: list[dict]) -> dict:
            from diplowatch.pipeline.tasks import report_extraction

            return report_extraction(list(results or []))

        # report runs whatever happened (all_done) and so always succeeds; without this task a run
        # whose batches failed would still be marked successful.
        @task(trigger_rule="one_failed", doc_md="Runs only when a task failed, and fails the run so it shows.")
        def fail_run() -> None:
            from diplowatch.pipeline.tasks import fail_run_after_task_failure

            fail_run_after_task_failure()

        [results, report(results)] >> fail_run()

    extract(plan())


dag = event_extract()
