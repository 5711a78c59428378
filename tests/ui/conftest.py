"""A real PostgreSQL for the events page tests: scratch databases on DIPLOWATCH_TEST_DB_URL when it is
set, else on an embedded PostgreSQL started in a temporary folder. Each database is dropped (or the
embedded server stopped and its folder removed) at the end of the session."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

from diplowatch.warehouse.migrate import migrate

Factory = Callable[[str], str]


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture(scope="session")
def database_factory() -> Iterator[Factory]:
    """make(suffix) -> the URL of a new, migrated, empty warehouse database `dw_ui_<suffix>_<pid>`."""
    created: list[str] = []
    server_url = os.environ.get("DIPLOWATCH_TEST_DB_URL")
    tmp: Path | None = None
    if not server_url:
        from diplowatch.warehouse.embedded import ensure_embedded

        tmp = Path(tempfile.mkdtemp(prefix="dw-ui-pg-"))
        tmp.chmod(0o755)  # when run as root the server runs as another user, who must reach pgdata
        pgdata = tmp / "pg"

        def make(suffix: str) -> str:
            dbname = f"dw_ui_{suffix}_{os.getpid()}"
            url = ensure_embedded(dbname=dbname, pgdata=pgdata)
            _migrate(url)
            return url

    else:

        def make(suffix: str) -> str:
            dbname = f"dw_ui_{suffix}_{os.getpid()}"
            admin = psycopg2.connect(server_url)
            admin.autocommit = True
            with admin.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)))
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            admin.close()
            created.append(dbname)
            url = _with_dbname(server_url, dbname)
            _migrate(url)
            return url

    try:
        yield make
    finally:
        if server_url:
            admin = psycopg2.connect(server_url)
            admin.autocommit = True
            with admin.cursor() as cur:
                for dbname in created:
                    cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
            admin.close()
        if tmp is not None:
            from diplowatch.warehouse.embedded import stop_embedded

            stop_embedded(tmp / "pg")
            shutil.rmtree(tmp, ignore_errors=True)


def _migrate(url: str) -> None:
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def warehouse_url(database_factory: Factory) -> str:
    """A migrated warehouse holding the small synthetic data set below (SAMPLE_TOTAL events)."""
    url = database_factory("test")
    conn = psycopg2.connect(url)
    try:
        load_sample(conn)
        conn.commit()
    finally:
        conn.close()
    return url


# ---------------------------------------------------------------- the synthetic data set

XSS_TITLE = "<script>alert('title')</script> Putin to visit China"
XSS_SENTENCE = "<img src=x onerror=alert(1)> India and Japan signed a defence pact."
DEMANDS = 120  # generated DEMAND events UKR -> UN, one a day from 2022-01-01
SAMPLE_TOTAL = 7 + DEMANDS
RUS_EVENTS = 5  # VISIT, 2 MEET, SANCTION, CRITICIZE


def add_article(cur, article_id: str, url: str, title: str) -> None:
    cur.execute(
        "INSERT INTO articles (article_id, canonical_url, url, title, text, lang, content_hash)"
        " VALUES (%s, %s, %s, %s, %s, 'en', %s)",
        (article_id, url, url, title, "body of " + title, "hash-" + article_id),
    )


def add_event(
    cur,
    event_id: str,
    event_type: str,
    source: str | None,
    target: str | None,
    status: str,
    day: str | None,
    *,
    sentence: str,
    lang: str = "en",
    event_date: str | None = None,
    precision: str = "day",
    mention_count: int = 1,
    article_id: str | None = None,
    article_url: str | None = None,
    **extra: object,
) -> None:
    """Insert one events row that satisfies the schema (match window = the day, or 2000-01-01)."""
    from diplowatch.events.taxonomy import event_types

    row = {
        "event_id": event_id,
        "event_type": event_type,
        "cameo_code": event_types()[event_type].cameo_for(status),
        "plover_type": event_types()[event_type].plover_type,
        "source_country": source,
        "target_country": target,
        "status": status,
        "event_day": day,
        "event_date": event_date if event_date is not None else day,
        "date_precision": precision if day else "unknown",
        "sentence": sentence,
        "lang": lang,
        "confidence": 0.8,
        "mention_count": mention_count,
        "article_id": article_id,
        "article_url": article_url,
        "published": (day or "2023-01-01") + "T08:00:00+00:00",
        "match_from": day or "2000-01-01",
        "match_to": day or "2000-01-01",
        **extra,
    }
    cols = list(row)
    cur.execute(
        sql.SQL("INSERT INTO events ({}) VALUES ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, cols)), sql.SQL(", ").join(sql.Placeholder() * len(cols))
        ),
        [row[c] for c in cols],
    )


def load_sample(conn) -> None:
    with conn.cursor() as cur:
        add_article(cur, "a1", "https://news.example/putin-china", XSS_TITLE)
        add_event(
            cur, "ev-visit-rus-chn", "VISIT", "RUS", "CHN", "planned", "2023-10-01",
            event_date="2023-10", precision="month", lang="fr",
            sentence="Vladimir Poutine se rendra en Chine en octobre prochain, a indiqué Iouri Ouchakov.",
            article_id="a1", article_url="https://news.example/putin-china",
            source_actor="Vladimir Putin", source_role="head_of_state", context="Belt and Road Forum",
            attributed_to="Yuri Ushakov",
        )
        add_event(cur, "ev-meet-chn-rus", "MEET", "CHN", "RUS", "occurred", "2023-10-18", mention_count=3,
                  sentence="Xi Jinping met Vladimir Putin in Beijing on Wednesday.",
                  article_url="https://news.example/xi-putin")
        add_event(cur, "ev-meet-rus-chn", "MEET", "RUS", "CHN", "occurred", "2023-10-19",
                  sentence="Putin held talks with Xi for a second day.")
        add_event(cur, "ev-sanction-usa-rus", "SANCTION", "USA", "RUS", "occurred", "2023-11-05",
                  sentence="Washington imposed 100% tariffs_on Russian steel and new sanctions.")
        add_event(cur, "ev-call-fra-deu", "PHONE_CALL", "FRA", "DEU", "occurred", "2024-01-10", lang="fr",
                  sentence="Emmanuel Macron s'est entretenu au téléphone avec Olaf Scholz.")
        add_event(cur, "ev-criticize-eu-rus", "CRITICIZE", "EU", "RUS", "occurred", None,
                  sentence="The EU condemned Russia over the strikes.")
        add_event(cur, "ev-sign-ind-jpn", "SIGN_AGREEMENT", "IND", "JPN", "occurred", "2024-02-01",
                  sentence=XSS_SENTENCE, article_url="javascript:alert(1)")
        for i in range(DEMANDS):
            cur.execute(
                """INSERT INTO events (event_id, event_type, cameo_code, source_country, target_country, status,
                       event_day, event_date, date_precision, sentence, lang, confidence, match_from, match_to)
                   SELECT %s, 'DEMAND', '100', 'UKR', 'UN', %s, d, d::text, 'day', %s, 'en', 0.6, d, d
                   FROM (SELECT DATE '2022-01-01' + %s AS d) x""",
                (f"ev-demand-{i:03d}", "proposed" if i % 4 == 0 else "occurred",
                 f"Ukraine urged the United Nations to act, statement number {i}.", i),
            )
        cur.execute(
            """INSERT INTO quality_results (run_id, suite, batch_key, success, evaluated_rows, failed_rows,
                   statistics, failed_expectations, report_path, created_at)
               VALUES ('run-ok', 'events', 'batch-1', true, 40, 0, '{}', '[]', 'events_ok.html', '2024-02-01T10:00:00Z'),
                      ('run-bad', 'events', 'batch-2', false, 50, 2, '{"evaluated_expectations": 9}',
                       '[{"expectation": "expect_column_values_to_be_in_set", "column": "status"}]',
                       '/somewhere/else/report.html', '2024-02-02T10:00:00Z')"""
        )
        cur.execute(
            """INSERT INTO quarantine (entity, entity_id, suite, expectation, reason, payload, resolved_at)
               VALUES ('event', 'q1', 'events', 'status_in_set', 'bad status', '{}', NULL),
                      ('event', 'q2', 'events', 'status_in_set', 'bad status', '{}', NULL),
                      ('article', 'q3', 'articles', 'has_text', 'empty text', '{}', NULL),
                      ('event', 'q4', 'events', 'status_in_set', 'fixed since', '{}', now())"""
        )


@pytest.fixture(scope="session")
def sample() -> SimpleNamespace:
    """The facts of the synthetic data set, for assertions."""
    return SimpleNamespace(
        total=SAMPLE_TOTAL, demands=DEMANDS, rus_events=RUS_EVENTS, xss_title=XSS_TITLE, xss_sentence=XSS_SENTENCE
    )


@pytest.fixture(scope="session")
def reports_dir() -> Iterator[Path]:
    """<tmp>/quality_reports with one report, plus a secret file next to it and a symlink pointing at it."""
    tmp = Path(tempfile.mkdtemp(prefix="dw-ui-reports-"))
    reports = tmp / "quality_reports"
    (reports / "2024").mkdir(parents=True)
    (reports / "events_ok.html").write_text("<html><body>GX report: all good</body></html>", encoding="utf-8")
    (reports / "2024" / "nested.html").write_text("<html><body>nested report</body></html>", encoding="utf-8")
    (tmp / "secret.txt").write_text("TOP-SECRET", encoding="utf-8")
    (reports / "escape.html").symlink_to(tmp / "secret.txt")
    try:
        yield reports
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
