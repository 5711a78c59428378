"""Loading events: reports of one real-world event across articles become one event with N mentions."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg2

from diplowatch.events.model import Event
from diplowatch.warehouse import db, load


def _article(url: str) -> str:
    row = {"article_id": load.article_id_for(url), "canonical_url": url, "url": url, "source_id": None,
           "title": "t", "text": "x", "published": datetime(2023, 7, 15, tzinfo=UTC), "lang": "en",
           "content_hash": "h" + url, "simhash": 0}
    with db.connection() as conn:
        load.upsert_articles(conn, [row])
    return row["article_id"]


def _event(key: str, etype: str, src: str, tgt: str, date: str | None, precision: str, published: str = "2023-07-15") -> Event:
    return Event(event_type=etype, source_country=src, target_country=tgt, status="occurred", sentence=f"{key} said",
                 event_date=date, date_precision=precision, published=published).finalize(key)


def _counts(url: str) -> tuple[int, int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM events")
        events = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM event_mentions")
        return events, cur.fetchone()[0]


def test_same_event_in_three_articles_is_one_event_with_three_mentions(clean_warehouse: str) -> None:
    a, b, c = (_article(f"http://127.0.0.1/{n}.html") for n in "abc")
    with db.connection() as conn:
        load.load_events(conn, [(a, _event(a, "VISIT", "RUS", "CHN", "2023-10", "month"))])
    with db.connection() as conn:  # a later batch, another outlet, a day-precise date inside that month
        r = load.load_events(conn, [(b, _event(b, "VISIT", "RUS", "CHN", "2023-10-17", "day")),
                                    (c, _event(c, "VISIT", "RUS", "CHN", "2023-10", "month"))])
    assert (r.events_new, r.mentions_new) == (0, 2)
    assert _counts(clean_warehouse) == (1, 3)
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT mention_count FROM events")
        assert cur.fetchone()[0] == 3


def test_symmetric_types_merge_in_either_order_directed_do_not(clean_warehouse: str) -> None:
    a, b = _article("http://127.0.0.1/m1.html"), _article("http://127.0.0.1/m2.html")
    with db.connection() as conn:
        load.load_events(conn, [
            (a, _event(a, "MEET", "FRA", "DEU", "2024-05-02", "day")),
            (b, _event(b, "MEET", "DEU", "FRA", "2024-05-03", "day")),        # same meeting, other order
            (a, _event(a, "SANCTION", "USA", "RUS", "2024-05-02", "day")),
            (b, _event(b, "SANCTION", "RUS", "USA", "2024-05-02", "day")),    # a counter-sanction: another event
        ])
    assert _counts(clean_warehouse) == (3, 4)


def test_outside_the_window_is_another_event(clean_warehouse: str) -> None:
    a, b = _article("http://127.0.0.1/w1.html"), _article("http://127.0.0.1/w2.html")
    with db.connection() as conn:
        load.load_events(conn, [(a, _event(a, "PHONE_CALL", "USA", "CHN", "2024-04-02", "day")),
                                (b, _event(b, "PHONE_CALL", "USA", "CHN", "2024-04-20", "day"))])
    assert _counts(clean_warehouse) == (2, 2)


def test_reloading_adds_nothing(clean_warehouse: str) -> None:
    a = _article("http://127.0.0.1/r.html")
    batch = [(a, _event(a, "EXPEL_DIPLOMATS", "DEU", "RUS", "2022-04-04", "day"))]
    with db.connection() as conn:
        load.load_events(conn, batch)
    with db.connection() as conn:
        r = load.load_events(conn, batch)
    assert (r.events_new, r.mentions_new) == (0, 0)
    assert _counts(clean_warehouse) == (1, 1)


def test_the_dedup_lookup_uses_the_index(clean_warehouse: str) -> None:
    """The cross-article match is an index range scan on (event_type, dyad_key, match_from)."""
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        cur.execute("EXPLAIN SELECT event_id FROM events WHERE event_type = 'VISIT' AND dyad_key = 'RUS|CHN' "
                    "AND match_from <= DATE '2023-10-31'")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "events_match_idx" in plan
