"""/api/events over 100k events answers a filtered query in under 300 ms (the page's budget).

The events are generated in SQL (generate_series), so loading them takes a few seconds.
Run with `-s` to see the measured times.
"""

from __future__ import annotations

import statistics
import time

import psycopg2
import pytest
from fastapi.testclient import TestClient

from diplowatch.events.taxonomy import STATUSES, event_types
from diplowatch.ui.app import WarehouseConnector, create_app

N_EVENTS = 100_000
BUDGET_S = 0.300
COUNTRIES = ["RUS", "CHN", "USA", "FRA", "DEU", "GBR", "UKR", "IND", "JPN", "BRA", "TUR", "IRN", "ISR", "EGY",
             "ZAF", "NGA", "KOR", "PRK", "SAU", "ARE", "EU", "UN", "NATO", "AU", "ASEAN", "MEX", "CAN", "POL",
             "ITA", "ESP"]

GENERATE = """
INSERT INTO events (event_id, event_type, cameo_code, plover_type, source_country, target_country, status,
                    event_day, event_date, date_precision, sentence, lang, confidence, article_url,
                    mention_count, match_from, match_to, source_actor, context)
SELECT 'perf-' || i, r.event_type, '040', 'CONSULT', r.source, r.target, r.status,
       r.day, r.day::text, 'day',
       'Synthetic sentence number ' || i || ' about ' || r.source
           || CASE WHEN mod(i, 1000) = 0 THEN ' with a rare keyword zanzibar' ELSE '' END,
       r.lang, 0.7, 'https://news.example/article/' || i, 1 + mod(i, 4), r.day, r.day,
       'Leader ' || mod(i, 500), CASE WHEN mod(i, 10) = 0 THEN 'Summit' END
FROM generate_series(1, %(n)s) AS i,
     LATERAL (SELECT
         (%(types)s::text[])[1 + floor(random() * %(n_types)s)::int + 0 * i] AS event_type,
         (%(countries)s::text[])[1 + floor(random() * %(n_countries)s)::int + 0 * i] AS source,
         (%(countries)s::text[])[1 + floor(random() * %(n_countries)s)::int + 0 * i] AS target,
         (%(statuses)s::text[])[1 + floor(random() * %(n_statuses)s)::int + 0 * i] AS status,
         CASE WHEN random() < 0.3 + 0 * i THEN 'fr' ELSE 'en' END AS lang,
         DATE '2021-01-01' + floor(random() * 1461)::int + 0 * i AS day
     ) AS r
"""

QUERIES = {
    "country+type+dates": {"country": "RUS", "type": "VISIT", "since": "2023-01-01", "until": "2023-12-31"},
    "country": {"country": "RUS"},
    "country+status+lang": {"country": "CHN", "status": "planned", "lang": "fr"},
    "date range": {"since": "2024-03-01", "until": "2024-03-31"},
    "text search": {"q": "zanzibar"},
    "unfiltered": {},
    "deep page": {"country": "USA", "offset": "5000"},
}


@pytest.fixture(scope="module")
def perf_client(database_factory) -> TestClient:
    url = database_factory("perf")
    conn = psycopg2.connect(url)
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")  # the same synthetic events every run
        types, statuses = list(event_types()), list(STATUSES)
        cur.execute(GENERATE, {
            "n": N_EVENTS, "types": types, "n_types": len(types), "countries": COUNTRIES,
            "n_countries": len(COUNTRIES), "statuses": statuses, "n_statuses": len(statuses),
        })
        cur.execute("ANALYZE events")
    conn.commit()
    conn.close()
    print(f"\nloaded {N_EVENTS:,} synthetic events in {time.perf_counter() - started:.1f} s")
    return TestClient(create_app(auth=None, connect=WarehouseConnector(url)))


def _timed(client: TestClient, path: str, params: dict[str, str], runs: int = 5) -> tuple[float, dict]:
    client.get(path, params=params)  # warm: plan cache, buffers
    times = []
    body: dict = {}
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        body = response.json()
    return statistics.median(times), body


def test_filtered_events_answer_within_budget(perf_client):
    results = {}
    for name, params in QUERIES.items():
        median, body = _timed(perf_client, "/api/events", params)
        results[name] = (median, body["total"])
    for name, (median, total) in results.items():
        print(f"/api/events {name:<22} total={total:>6}  median {median * 1000:6.1f} ms")
    assert results["country+type+dates"][1] > 0
    assert results["unfiltered"][1] == N_EVENTS
    slow = {name: round(m * 1000) for name, (m, _) in results.items() if m >= BUDGET_S}
    assert not slow, f"over {BUDGET_S * 1000:.0f} ms: {slow}"


def test_aggregates_stay_interactive(perf_client):
    for path, params in [("/api/timeline", {}), ("/api/timeline", {"country": "RUS"}), ("/api/dyads", {}),
                         ("/api/meta", {})]:
        median, _ = _timed(perf_client, path, params, runs=3)
        print(f"{path:<14} {params!s:<20} median {median * 1000:6.1f} ms")
        assert median < 1.0, (path, params, median)
