"""Task bodies for the DAGs: each DAG task calls exactly one function here.

They take and return small JSON-able values (XCom), log a one-paragraph
summary at the end, and leave errors in the warehouse rather than raising,
except where a retry can help (the warehouse unreachable).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

log = logging.getLogger("diplowatch")


def prepare_warehouse() -> dict[str, Any]:
    """Apply pending migrations and register the sources to poll; returns them for mapping."""
    from diplowatch.sources.config import load_sources
    from diplowatch.warehouse import db, load, migrate

    sources, skipped = load_sources()
    url = db.resolve_url()
    with db.connection(url) as conn:
        applied = migrate.migrate(conn)
        load.upsert_sources(conn, [(s.name, s.url, s.kind, s.lang) for s in sources])
    for reason in skipped:
        log.warning("source skipped: %s", reason)
    log.info("warehouse %s ready (%s migration(s) applied); %d source(s) to poll",
             db.describe(url), len(applied), len(sources))
    return {"sources": [s.to_dict() for s in sources], "skipped": skipped, "migrations_applied": applied}


def ingest(source: dict[str, Any], run_key: str) -> dict[str, Any]:
    """Poll one source (one mapped task)."""
    from diplowatch.pipeline.ingest import ingest_source
    from diplowatch.sources.config import Source

    summary = ingest_source(Source(**source), run_key)
    for err in summary.errors[:20]:
        log.warning("%s error at %s: %s", err["stage"], err["url"], err["error"])
    if len(summary.errors) > 20:
        log.warning("... and %d more errors (table fetch_errors)", len(summary.errors) - 20)
    log.info("Summary — %s", summary.line())
    return summary.to_dict()


def report_ingest(results: list[dict[str, Any]]) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    for r in results or []:
        for k in ("entries", "fetched", "new", "already_known", "duplicates", "errors"):
            totals[k] += int(r.get(k) or 0)
    failed = [r["source"] for r in results or [] if r.get("feed_status") == "failed"]
    log.info(
        "Summary — %d source(s): %d feed entries, %d pages fetched, %d new articles, %d duplicates, "
        "%d already known, %d errors%s.",
        len(results or []), totals["entries"], totals["fetched"], totals["new"], totals["duplicates"],
        totals["already_known"], totals["errors"], f"; feeds failing: {', '.join(failed)}" if failed else "",
    )
    return dict(totals)


def plan_extraction() -> list[list[str]]:
    from diplowatch.pipeline.extract import plan_batches

    batches = plan_batches()
    log.info("%d article(s) to process in %d batch(es)", sum(map(len, batches)), len(batches))
    return batches


def extract_batch(article_ids: list[str]) -> dict[str, Any]:
    from diplowatch.pipeline.extract import process_batch

    s = process_batch(article_ids)
    types = ", ".join(f"{t} {n}" for t, n in s.by_type.most_common()) or "none"
    log.info(
        "Summary — %d article(s) (%d duplicates, %d quarantined): %d events extracted, %d quarantined, "
        "%d new events, %d new mentions (%d merged into events already known). By type: %s. Validation: %s. "
        "%.1fs.",
        s.articles, s.duplicates, s.articles_quarantined, s.events_extracted, s.events_quarantined,
        s.events_new, s.mentions_new, s.merged, types, "; ".join(s.validation) or "nothing to validate", s.seconds,
    )
    return s.to_dict()


def report_extraction(results: list[dict[str, Any]]) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    for r in results or []:
        for k in ("articles", "events_extracted", "events_quarantined", "events_new", "mentions_new",
                  "articles_quarantined", "duplicates"):
            totals[k] += int(r.get(k) or 0)
        by_type.update(r.get("by_type") or {})
    log.info(
        "Summary — %d article(s), %d events extracted, %d new events, %d new mentions, %d events and %d "
        "articles quarantined. By type: %s.",
        totals["articles"], totals["events_extracted"], totals["events_new"], totals["mentions_new"],
        totals["events_quarantined"], totals["articles_quarantined"],
        ", ".join(f"{t} {n}" for t, n in by_type.most_common()) or "none",
    )
    return {**totals, "by_type": dict(by_type)}


def fail_run_after_task_failure() -> None:
    """The last task of each DAG, run only when another task failed: fail the run, at once.

    The report tasks run whatever happened (trigger rule all_done), so they succeed and, being
    the leaves, would make Airflow mark a run successful even when its warehouse was unreachable.
    AirflowFailException skips this task's own retries: there is nothing to retry here.
    """
    from airflow.sdk.exceptions import AirflowFailException

    raise AirflowFailException("a task of this run failed (its log says why); clear it once the cause is fixed")

