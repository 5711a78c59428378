"""The events API against a real PostgreSQL: filters, pagination, totals, aggregates, bad and hostile
parameters, warehouse errors and the reports folder. Authentication is switched off here
(create_app(auth=None)); tests/ui/test_auth.py covers it."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
from fastapi.testclient import TestClient

from diplowatch.events.model import RECORD_FIELDS
from diplowatch.ui.app import WarehouseConnector, create_app


@pytest.fixture(scope="module")
def client(warehouse_url: str, reports_dir: Path) -> TestClient:
    app = create_app(auth=None, connect=WarehouseConnector(warehouse_url), reports_dir=reports_dir)
    return TestClient(app, raise_server_exceptions=False)


def events(client: TestClient, **params: object) -> dict:
    response = client.get("/api/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict) -> set[str]:
    return {e["event_id"] for e in body["events"]}


# ---------------------------------------------------------------- /api/events


def test_unfiltered_gives_total_and_first_page_newest_first(client, sample):
    body = events(client)
    assert body["total"] == sample.total
    assert len(body["events"]) == 50
    days = [e["event_day"] for e in body["events"]]
    assert days == sorted(days, reverse=True)
    assert body["events"][0]["event_id"] == "ev-sign-ind-jpn"  # 2024-02-01, the latest day


def test_records_carry_the_contract_fields(client):
    body = events(client, country="CHN", type="VISIT")
    assert body["total"] == 1
    record = body["events"][0]
    for field in (*RECORD_FIELDS, "event_day", "mention_count"):
        assert field in record, field
    assert record["event_id"] == "ev-visit-rus-chn"
    assert record["event_date"] == "2023-10"
    assert record["date_precision"] == "month"
    assert record["event_day"] == "2023-10-01"
    assert record["source_actor"] == "Vladimir Putin"
    assert record["attributed_to"] == "Yuri Ushakov"
    assert record["cameo_code"] == "036"  # planned visit: CAMEO's intent code
    assert record["article_url"] == "https://news.example/putin-china"
    assert record["article_title"].startswith("<script>")  # returned as data; the page shows it as text
    assert isinstance(record["confidence"], float)


def test_country_matches_source_or_target(client, sample):
    body = events(client, country="RUS")
    assert body["total"] == sample.rus_events
    assert ids(body) == {"ev-visit-rus-chn", "ev-meet-chn-rus", "ev-meet-rus-chn", "ev-sanction-usa-rus",
                         "ev-criticize-eu-rus"}
    assert events(client, country="UN")["total"] == sample.demands  # organisation codes too
    assert events(client, country="ZZZ")["total"] == 0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "MEET"}, {"ev-meet-chn-rus", "ev-meet-rus-chn"}),
        ({"status": "planned"}, {"ev-visit-rus-chn"}),
        ({"lang": "fr"}, {"ev-visit-rus-chn", "ev-call-fra-deu"}),
        ({"since": "2023-10-18", "until": "2023-11-05"}, {"ev-meet-chn-rus", "ev-meet-rus-chn", "ev-sanction-usa-rus"}),
        ({"since": "2024-01-01"}, {"ev-call-fra-deu", "ev-sign-ind-jpn"}),
        ({"country": "RUS", "until": "2023-10-18"}, {"ev-visit-rus-chn", "ev-meet-chn-rus"}),
        ({"country": "RUS", "type": "MEET", "status": "occurred", "lang": "en"}, {"ev-meet-chn-rus", "ev-meet-rus-chn"}),
        ({"q": "putin"}, {"ev-meet-chn-rus", "ev-meet-rus-chn"}),  # case-insensitive; the French says Poutine
        ({"q": "100%"}, {"ev-sanction-usa-rus"}),  # % is literal, not a wildcard
        ({"q": "s_on"}, {"ev-sanction-usa-rus"}),  # _ is literal too
        ({"q": "%"}, {"ev-sanction-usa-rus"}),
        ({"q": "<img src=x"}, {"ev-sign-ind-jpn"}),
        ({"country": "", "type": "", "q": "  "}, None),  # empty values mean "any"
    ],
)
def test_filters(client, sample, params, expected):
    body = events(client, limit=500, **params)
    if expected is None:
        assert body["total"] == sample.total
    else:
        assert ids(body) == expected
        assert body["total"] == len(expected)


def test_undated_events_come_last_and_are_excluded_by_date_ranges(client, sample):
    last = events(client, limit=1, offset=sample.total - 1)["events"][0]
    assert last["event_id"] == "ev-criticize-eu-rus" and last["event_day"] is None
    assert "ev-criticize-eu-rus" not in ids(events(client, since="1900-01-01", limit=500))


def test_pagination_walks_every_event_once(client, sample):
    seen: list[str] = []
    offset = 0
    while True:
        body = events(client, limit=40, offset=offset)
        assert body["total"] == sample.total
        assert body["limit"] == 40 and body["offset"] == offset
        if not body["events"]:
            break
        seen += [e["event_id"] for e in body["events"]]
        offset += 40
    assert len(seen) == sample.total == len(set(seen))
    assert offset == 160  # 127 events: pages at 0, 40, 80, 120 and an empty one at 160


def test_page_past_the_end_is_empty_but_keeps_the_total(client, sample):
    body = events(client, offset=10_000_000)
    assert body == {"total": sample.total, "limit": 50, "offset": 10_000_000, "events": []}


def test_limit_bounds(client):
    assert len(events(client, limit=1)["events"]) == 1
    assert len(events(client, limit=500)["events"]) == 127


# ---------------------------------------------------------------- aggregates


def test_dyads_fold_symmetric_types(client):
    body = client.get("/api/dyads").json()
    pairs = {(d["country_a"], d["country_b"]): d for d in body["dyads"]}
    # The two MEETs (CHN->RUS and RUS->CHN) fold into CHN-RUS; the directed VISIT stays RUS->CHN.
    assert pairs[("CHN", "RUS")]["by_type"] == {"MEET": 2}
    assert pairs[("CHN", "RUS")]["mentions"] == 4
    assert pairs[("RUS", "CHN")]["by_type"] == {"VISIT": 1}
    assert pairs[("DEU", "FRA")]["by_type"] == {"PHONE_CALL": 1}  # symmetric: sorted pair
    assert pairs[("USA", "RUS")]["by_type"] == {"SANCTION": 1}  # directed: source first
    assert body["dyads"][0]["country_a"] == "UKR" and body["dyads"][0]["total"] == 120  # busiest first


def test_dyads_filters_and_limit(client):
    body = client.get("/api/dyads", params={"since": "2023-10-19", "until": "2023-12-31"}).json()
    assert [(d["country_a"], d["country_b"], d["total"]) for d in body["dyads"]] == [
        ("CHN", "RUS", 1), ("USA", "RUS", 1)]
    assert len(client.get("/api/dyads", params={"limit": 2}).json()["dyads"]) == 2


def test_timeline_counts_per_day_and_type(client):
    body = client.get("/api/timeline", params={"country": "RUS", "bucket": "day"}).json()
    assert body["bucket"] == "day"
    assert body["points"] == [
        {"day": "2023-10-01", "event_type": "VISIT", "events": 1},
        {"day": "2023-10-18", "event_type": "MEET", "events": 1},
        {"day": "2023-10-19", "event_type": "MEET", "events": 1},
        {"day": "2023-11-05", "event_type": "SANCTION", "events": 1},
    ]
    assert body["types"] == ["MEET", "SANCTION", "VISIT"]
    assert body["undated"] == 1  # the EU's criticism has no day


def test_timeline_picks_a_bucket_for_the_span(client):
    assert client.get("/api/timeline", params={"country": "RUS"}).json()["bucket"] == "day"  # ~5 weeks
    whole = client.get("/api/timeline").json()  # 2022-01 .. 2024-02: over two years
    assert whole["bucket"] == "month"
    assert sum(p["events"] for p in whole["points"]) == 126
    monthly = {(p["day"], p["event_type"]): p["events"] for p in whole["points"]}
    assert monthly[("2022-01-01", "DEMAND")] == 31
    weekly = client.get("/api/timeline", params={"bucket": "week", "type": "DEMAND"}).json()
    assert weekly["points"][0] == {"day": "2021-12-27", "event_type": "DEMAND", "events": 2}  # ISO weeks


def test_quality_lists_runs_and_unresolved_quarantine(client):
    body = client.get("/api/quality").json()
    assert [r["run_id"] for r in body["runs"]] == ["run-bad", "run-ok"]  # newest first
    bad, ok = body["runs"]
    assert bad["success"] is False and bad["failed_rows"] == 2 and bad["evaluated_rows"] == 50
    assert bad["failed_expectations"][0]["expectation"] == "expect_column_values_to_be_in_set"
    assert ok["report_url"] == "reports/events_ok.html"
    assert bad["report_url"] is None  # stored outside the reports folder: no link
    assert "report_path" not in ok  # server paths stay on the server
    assert body["quarantined"] == 3
    assert body["quarantined_by_entity"] == {"article": 1, "event": 2}
    assert len(client.get("/api/quality", params={"limit": 1}).json()["runs"]) == 1


def test_meta_offers_the_taxonomy_and_what_is_in_the_warehouse(client):
    body = client.get("/api/meta").json()
    assert len(body["event_types"]) == 21
    assert {"code": "MEET", "symmetric": True} .items() <= next(
        t for t in body["event_types"] if t["code"] == "MEET").items()
    assert body["statuses"][0] == "occurred"
    assert body["countries"][0] == {"code": "UKR", "events": 120}
    assert {c["code"] for c in body["countries"]} >= {"RUS", "CHN", "EU", "UN", "IND"}
    assert [lang["code"] for lang in body["langs"]] == ["en", "fr"]


# ---------------------------------------------------------------- bad parameters: 400, one line, never 500

BAD = [
    ("/api/events", "country", "rus"),
    ("/api/events", "country", "R"),
    ("/api/events", "country", "RUSSIA12"),
    ("/api/events", "country", "RU S"),
    ("/api/events", "country", "\U0001f1f7\U0001f1fa"),
    ("/api/events", "type", "visit"),
    ("/api/events", "type", "WAR"),
    ("/api/events", "status", "happened"),
    ("/api/events", "lang", "EN"),
    ("/api/events", "lang", "english"),
    ("/api/events", "lang", "e"),
    ("/api/events", "since", "2023-13-01"),
    ("/api/events", "since", "2023-02-30"),
    ("/api/events", "since", "2023/01/01"),
    ("/api/events", "until", "yesterday"),
    ("/api/events", "until", "20231001"),
    ("/api/events", "limit", "0"),
    ("/api/events", "limit", "501"),
    ("/api/events", "limit", "-1"),
    ("/api/events", "limit", "ten"),
    ("/api/events", "limit", "1.5"),
    ("/api/events", "offset", "-1"),
    ("/api/events", "offset", "10000001"),
    ("/api/events", "offset", "99999999999999999999"),
    ("/api/events", "q", "x" * 201),
    ("/api/events", "q", "a\x00b"),
    ("/api/events", "q", "tab\there"),
    ("/api/events", "contry", "RUS"),  # unknown parameter (typo)
    ("/api/dyads", "since", "2023-1-1"),
    ("/api/dyads", "limit", "501"),
    ("/api/dyads", "offset", "1"),  # not a dyads parameter
    ("/api/timeline", "bucket", "year"),
    ("/api/timeline", "country", "rus"),
    ("/api/timeline", "limit", "10"),
    ("/api/quality", "limit", "0"),
    ("/api/quality", "limit", "201"),
    ("/api/quality", "country", "RUS"),
    ("/api/meta", "x", "1"),
    ("/", "country", "RUS"),
]


@pytest.mark.parametrize(("path", "name", "value"), BAD)
def test_bad_parameter_is_a_400_with_a_one_line_message(client, path, name, value):
    response = client.get(path, params={name: value})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error and "\n" not in error
    assert name in error


def test_since_after_until_is_a_400(client):
    response = client.get("/api/events", params={"since": "2024-01-02", "until": "2024-01-01"})
    assert response.status_code == 400
    assert "after" in response.json()["error"]


def test_repeated_parameter_is_a_400(client):
    response = client.get("/api/events?country=RUS&country=CHN")
    assert response.status_code == 400
    assert "more than once" in response.json()["error"]


# ---------------------------------------------------------------- hostile input

INJECTIONS = [
    "RUS' OR 1=1 --",
    "'; DROP TABLE events; --",
    "RUS\"; DELETE FROM events; --",
    "1; SELECT pg_sleep(5)",
    "0 UNION SELECT * FROM quarantine",
    "%' OR '1'='1",
    "\\'; TRUNCATE events; --",
    "$$; DROP TABLE events; $$",
]
PARAMS = {
    "/api/events": ["country", "type", "status", "lang", "since", "until", "q", "limit", "offset"],
    "/api/dyads": ["country", "type", "status", "lang", "since", "until", "q", "limit"],
    "/api/timeline": ["country", "type", "status", "lang", "since", "until", "q", "bucket"],
    "/api/quality": ["limit"],
}


@pytest.mark.parametrize("path", sorted(PARAMS))
def test_sql_injection_attempts_are_refused_or_harmless(client, warehouse_url, sample, path):
    for name in PARAMS[path]:
        for attack in INJECTIONS:
            response = client.get(path, params={name: attack})
            assert response.status_code in (200, 400), (name, attack, response.status_code, response.text)
            if response.status_code == 200:
                assert name == "q", (name, attack)  # only free text may pass, as a literal substring
                body = response.json()
                if path == "/api/events":
                    assert body["total"] == 0
        # Injection in a parameter *name* is just an unknown parameter.
        response = client.get(path, params={name + "' OR 1=1 --": "x"})
        assert response.status_code == 400
    conn = psycopg2.connect(warehouse_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM events")
            assert cur.fetchone()[0] == sample.total
            cur.execute("SELECT count(*) FROM quarantine")
            assert cur.fetchone()[0] == 4
    finally:
        conn.close()


def test_connections_are_read_only(warehouse_url):
    conn = WarehouseConnector(warehouse_url)()
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("DELETE FROM events")
    finally:
        conn.close()


# ---------------------------------------------------------------- warehouse trouble: 503, no secrets


def test_unreachable_warehouse_is_a_503_without_the_password():
    app = create_app(auth=None, connect=WarehouseConnector("postgresql://spy:s3cret-pw@127.0.0.1:9/nowhere"))
    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/api/events", "/api/dyads", "/api/timeline", "/api/quality", "/api/meta"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.text)
        error = response.json()["error"]
        assert error.startswith("warehouse unavailable: ")
        assert "s3cret" not in error and "\n" not in error
    assert client.get("/").status_code == 200  # the page itself does not need the warehouse


def test_connect_errors_with_a_url_in_the_message_are_scrubbed():
    def broken() -> psycopg2.extensions.connection:
        raise RuntimeError("cannot start postgresql://admin:hunter2@db.internal:5432/x (password=hunter2)")

    client = TestClient(create_app(auth=None, connect=broken), raise_server_exceptions=False)
    response = client.get("/api/events")
    assert response.status_code == 503
    assert "hunter2" not in response.json()["error"]


def test_unmigrated_warehouse_says_how_to_fix_it(warehouse_url):
    def elsewhere() -> psycopg2.extensions.connection:
        conn = psycopg2.connect(warehouse_url, options="-c search_path=no_such_schema")
        conn.autocommit = True
        return conn

    client = TestClient(create_app(auth=None, connect=elsewhere), raise_server_exceptions=False)
    response = client.get("/api/events")
    assert response.status_code == 503
    assert "diplowatch db migrate" in response.json()["error"]


# ---------------------------------------------------------------- reports


def test_report_is_served_with_a_sandbox_policy(client):
    response = client.get("/reports/events_ok.html")
    assert response.status_code == 200
    assert "all good" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "sandbox" in response.headers["content-security-policy"]
    assert client.get("/reports/2024/nested.html").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/reports/..%2Fsecret.txt",
        "/reports/%2E%2E/secret.txt",
        "/reports/2024/..%2F..%2Fsecret.txt",
        "/reports/%2Fetc%2Fpasswd",
        "/reports/..%5Csecret.txt",
        "/reports/escape.html",  # a symlink pointing outside the folder
        "/reports/missing.html",
        "/reports/.hidden",
        "/reports/events_ok.html%00.txt",
        "/reports/",
        "/reports/2024",  # a folder, not a file
    ],
)
def test_report_paths_cannot_leave_the_reports_folder(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert "TOP-SECRET" not in response.text
    assert "root:" not in response.text
