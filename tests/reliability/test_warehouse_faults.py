"""Faults in the warehouse, injected for real into PostgreSQL: unreachable server, sessions killed in
the middle of a COPY, statement and lock timeouts, a lock held by another transaction, a competing
writer, a network cut in the middle of an extraction batch, two workers on one batch.

Every test compares exact row counts and ids with a fault-free reference: 0 lost, 0 duplicated.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg2
import psycopg2.errors
import pytest

from diplowatch.events.model import Event
from diplowatch.pipeline import extract as pipeline_extract
from diplowatch.pipeline import tasks
from diplowatch.warehouse import db, load
from tests.reliability.conftest import counts, no_duplicates
from tests.reliability.localnet import NewsServer, PgProxy, Route, article_html, rss
from tests.reliability.warehouse_faults import (
    BackendKiller,
    article_rows,
    extraction_state,
    reference_extraction,
    seed_articles,
    wait_for_row_locks,
)


def _closed_port_url(url: str) -> str:
    with PgProxy(url) as proxy:
        proxy.down()
        return proxy.url  # nothing listens there any more


def test_warehouse_unreachable_at_the_start_of_the_tasks(clean_warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: DIPLOWATCH_DB_URL points at a closed port when the tasks start. Each task fails with
    the connection error (so Airflow retries it); nothing is written; once the warehouse is back,
    the rerun loads exactly once."""
    from tests.reliability.conftest import fast_settings

    monkeypatch.setattr("diplowatch.pipeline.ingest.get_settings", fast_settings)
    with NewsServer() as srv:
        for i in range(3):
            srv.routes[f"/a/{i}"] = Route(article_html(i))
        srv.routes["/feed.rss"] = Route(rss([(f"{srv.base}/a/{i}", "t") for i in range(3)]), "application/rss+xml")
        source = {"name": "down", "url": f"{srv.base}/feed.rss", "kind": "feed", "lang": "en", "group": "live",
                  "publisher": None}
        before = counts(clean_warehouse)
        monkeypatch.setenv("DIPLOWATCH_DB_URL", _closed_port_url(clean_warehouse))
        for call in (tasks.prepare_warehouse, lambda: tasks.ingest(source, "run-1"), tasks.plan_extraction,
                     lambda: tasks.extract_batch([load.article_id_for(f"{srv.base}/a/0")])):
            with pytest.raises(psycopg2.OperationalError):
                call()
        assert srv.requests["/feed.rss"] == 0  # it failed before fetching anything
        assert counts(clean_warehouse) == before
        monkeypatch.setenv("DIPLOWATCH_DB_URL", clean_warehouse)
        tasks.ingest(source, "run-1")
        tasks.ingest(source, "run-1")  # the retry after a lost success report
        after = counts(clean_warehouse)
        assert after["articles"] == 3
        for batch in tasks.plan_extraction():
            tasks.extract_batch(batch)
        extracted = counts(clean_warehouse)
        assert extracted["events"] > 0 and tasks.plan_extraction() == []
    no_duplicates(clean_warehouse)


@pytest.mark.parametrize("moment", ["COPY%", "INSERT INTO articles%"])
def test_session_killed_during_the_article_load_rolls_back(clean_warehouse: str, moment: str) -> None:
    """Fault: pg_terminate_backend on the loader's session while upsert_articles streams a 12 MB
    COPY into the staging table, or while it upserts from there. The transaction rolls back whole;
    the retry loads every article exactly once."""
    rows = article_rows(3000, text_padding=4000)
    killer = BackendKiller(clean_warehouse, moment)
    killer.start()
    killer.ready.wait(10)
    with pytest.raises(psycopg2.OperationalError):
        with db.connection(clean_warehouse) as conn:
            load.upsert_articles(conn, rows)
    killer.join(5)
    assert killer.killed, "the load finished before the session could be killed"
    assert counts(clean_warehouse)["articles"] == 0
    with db.connection(clean_warehouse) as conn:
        assert load.upsert_articles(conn, rows) == 3000
    with db.connection(clean_warehouse) as conn:
        assert load.upsert_articles(conn, rows) == 0
    assert counts(clean_warehouse)["article_ids"] == sorted(r["article_id"] for r in rows)
    no_duplicates(clean_warehouse)


def _events(n: int) -> list[tuple[str | None, Event]]:
    pairs = [("FRA", "DEU"), ("RUS", "CHN"), ("USA", "GBR"), ("IND", "JPN")]
    out = []
    for i in range(n):
        a, b = pairs[i % 4]
        ev = Event(event_type=("MEET", "VISIT", "SANCTION", "PHONE_CALL")[i % 4], source_country=a, target_country=b,
                   status="occurred", sentence=f"Sentence {i} " + "y" * 300, lang="en", confidence=0.7,
                   event_date=f"20{10 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}", date_precision="day")
        out.append((None, ev.finalize(f"article-{i}")))
    return out


@pytest.mark.parametrize("moment", ["COPY%", "INSERT INTO event_mentions%"])
def test_session_killed_during_the_event_load_rolls_back(clean_warehouse: str, moment: str) -> None:
    """Fault: the session dies while load_events COPYs 20000 mentions or inserts them."""
    pairs = _events(20000)
    killer = BackendKiller(clean_warehouse, moment)
    killer.start()
    killer.ready.wait(10)
    with pytest.raises(psycopg2.OperationalError):
        with db.connection(clean_warehouse) as conn:
            load.load_events(conn, pairs)
    killer.join(5)
    assert killer.killed
    assert counts(clean_warehouse)["event_mentions"] == 0
    with db.connection(clean_warehouse) as conn:
        first = load.load_events(conn, pairs)
    reference = counts(clean_warehouse)
    with db.connection(clean_warehouse) as conn:
        again = load.load_events(conn, pairs)
    assert first.mentions_new == 20000 and again.mentions_new == 0 and again.events_new == 0
    assert counts(clean_warehouse) == reference
    no_duplicates(clean_warehouse)


def _set_database(url: str, setting: str, value: str | None) -> None:
    """ALTER DATABASE ... SET/RESET: what an operator's configuration does to every new session."""
    from psycopg2 import sql

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        name = sql.Identifier(cur.fetchone()[0])
        if value is None:
            cur.execute(sql.SQL("ALTER DATABASE {} RESET {}").format(name, sql.Identifier(setting)))
        else:
            cur.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(name, sql.Identifier(setting), sql.Literal(value)))
    conn.close()


def test_statement_timeout_rolls_the_load_back(clean_warehouse: str) -> None:
    """Fault: the server's statement_timeout (set on the database) cancels the big upsert."""
    rows = article_rows(3000, text_padding=4000)
    _set_database(clean_warehouse, "statement_timeout", "30ms")
    try:
        with pytest.raises(psycopg2.errors.QueryCanceled):
            with db.connection(clean_warehouse) as conn:
                load.upsert_articles(conn, rows)
    finally:
        _set_database(clean_warehouse, "statement_timeout", None)
    assert counts(clean_warehouse)["articles"] == 0
    with db.connection(clean_warehouse) as conn:
        assert load.upsert_articles(conn, rows) == 3000
    no_duplicates(clean_warehouse)


def _start_loader(url: str, rows: list[dict[str, Any]]) -> tuple[threading.Thread, list[int]]:
    """upsert_articles in a thread; after a second the thread should still be waiting on a lock."""
    result: list[int] = []

    def loader() -> None:
        with db.connection(url) as conn:
            result.append(load.upsert_articles(conn, rows))

    t = threading.Thread(target=loader)
    t.start()
    t.join(1.0)
    return t, result


def test_lock_held_by_another_transaction(clean_warehouse: str) -> None:
    """Fault: another session holds a lock on articles that blocks inserts. With lock_timeout the load
    fails cleanly and retries later; without it the load waits and lands once the lock is gone."""
    rows = article_rows(200)
    holder = psycopg2.connect(clean_warehouse)
    with holder.cursor() as cur:
        cur.execute("LOCK TABLE articles IN SHARE MODE")  # blocks INSERT/UPDATE/DELETE
    _set_database(clean_warehouse, "lock_timeout", "300ms")
    try:
        with pytest.raises(psycopg2.errors.LockNotAvailable):
            with db.connection(clean_warehouse) as conn:
                load.upsert_articles(conn, rows)
    finally:
        _set_database(clean_warehouse, "lock_timeout", None)
    assert counts(clean_warehouse)["articles"] == 0
    t, result = _start_loader(clean_warehouse, rows)
    assert t.is_alive() and not result  # waiting for the lock, not failing
    holder.commit()
    holder.close()
    t.join(30)
    assert result == [200]
    assert counts(clean_warehouse)["article_ids"] == sorted(r["article_id"] for r in rows)


@pytest.mark.parametrize("competitor_ends", ["commit", "rollback"])
def test_a_competing_writer_of_the_same_articles(clean_warehouse: str, competitor_ends: str) -> None:
    """Fault: another ingest (a second scheduler, a manual run) inserts half of the same articles in
    a transaction still open when ours loads. Ours waits on the unique key, then skips what the other
    committed or inserts what it rolled back: one row per article either way."""
    rows = article_rows(100)
    other = psycopg2.connect(clean_warehouse)
    load.upsert_articles(other, rows[:50] + article_rows(10, start=1000))
    t, result = _start_loader(clean_warehouse, rows)
    assert t.is_alive()  # blocked on the other transaction's uncommitted keys
    getattr(other, competitor_ends)()
    other.close()
    t.join(30)
    expected = rows + (article_rows(10, start=1000) if competitor_ends == "commit" else [])
    assert result == [50 if competitor_ends == "commit" else 100]
    assert counts(clean_warehouse)["article_ids"] == sorted(r["article_id"] for r in expected)
    no_duplicates(clean_warehouse)


def test_network_cut_in_the_middle_of_an_extraction_batch(clean_warehouse: str) -> None:
    """Fault: the TCP connection between the extraction worker and PostgreSQL is cut (RST) while the
    worker holds its batch. The batch's transaction dies with it: no event, no mention, no quality
    row, articles still pending; the next run gives exactly the fault-free result."""
    ids = seed_articles(clean_warehouse, 8)
    reference = reference_extraction(clean_warehouse, ids)
    with PgProxy(clean_warehouse) as proxy:
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                pipeline_extract.process_batch(ids, db_url=proxy.url)
            except BaseException as exc:  # noqa: BLE001 - the fault is expected to surface here
                errors.append(exc)

        t = threading.Thread(target=worker)
        t.start()
        wait_for_row_locks(clean_warehouse, alive=t.is_alive)
        assert proxy.cut() >= 1
        t.join(60)
    assert errors and isinstance(errors[0], psycopg2.OperationalError), errors
    state = extraction_state(clean_warehouse)
    assert state["events"] == state["event_mentions"] == state["quality_results"] == 0
    assert all(status is None for _, status, _ in state["article_status"])
    for batch in pipeline_extract.plan_batches(db_url=clean_warehouse):
        pipeline_extract.process_batch(batch, db_url=clean_warehouse)
    assert extraction_state(clean_warehouse) == reference
    no_duplicates(clean_warehouse)


def test_two_workers_given_the_same_batch(clean_warehouse: str) -> None:
    """Fault: the same batch handed to two workers at once (a cleared task racing its zombie).
    FOR UPDATE SKIP LOCKED gives each article to one of them; together they load exactly the
    fault-free result. First deterministically (one holds the batch), then as a real race."""
    ids = seed_articles(clean_warehouse, 10)
    reference = reference_extraction(clean_warehouse, ids)
    # 1. Worker A holds the batch (its SELECT ... FOR UPDATE done, extraction under way).
    holder = psycopg2.connect(clean_warehouse)
    with holder.cursor() as cur:
        cur.execute("SELECT article_id FROM articles WHERE article_id = ANY(%s) AND processed_at IS NULL "
                    "ORDER BY article_id FOR UPDATE SKIP LOCKED", (ids,))
        assert len(cur.fetchall()) == 10
    b = pipeline_extract.process_batch(ids, db_url=clean_warehouse)
    assert b.articles == 0 and extraction_state(clean_warehouse)["events"] == 0
    holder.rollback()  # A dies before committing
    holder.close()
    pipeline_extract.process_batch(ids, db_url=clean_warehouse)
    assert extraction_state(clean_warehouse) == reference
    # 2. A real race: two threads, released together.
    from tests.reliability.warehouse_faults import reset_extraction

    reset_extraction(clean_warehouse)
    barrier = threading.Barrier(2)
    summaries: list[Any] = []

    def racer() -> None:
        barrier.wait()
        summaries.append(pipeline_extract.process_batch(ids, db_url=clean_warehouse))

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(s.articles for s in summaries) == 10
    raced = extraction_state(clean_warehouse)
    for key in ("articles", "events", "event_mentions", "article_ids", "event_ids", "mention_ids", "events_rows"):
        assert raced[key] == reference[key], key
    no_duplicates(clean_warehouse)
