"""Read-only queries behind the events page and its API, and the strict checks on their parameters.

Every value a client sends reaches PostgreSQL as a bound parameter (%s). The
WHERE clauses are fixed SQL fragments chosen by which filters are set; no
client text is ever spliced into SQL. A parameter that fails its check raises
`BadParameter`, whose message is one line meant for the client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from diplowatch.events.model import RECORD_FIELDS
from diplowatch.events.taxonomy import STATUSES, event_types

COUNTRY_RE = re.compile(r"^[A-Z][A-Z0-9]{1,6}$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TEXT_QUERY = 200
MAX_OFFSET = 10_000_000
BUCKETS = ("auto", "day", "week", "month")

# The filters every listing accepts (query-string names).
FILTER_PARAMS = ("country", "type", "status", "lang", "since", "until", "q")

# The event record (CONTRACT section 3, defined once in events.model) plus what the page needs.
EVENT_COLUMNS = (*RECORD_FIELDS, "event_day", "mention_count")


class BadParameter(ValueError):
    """A request parameter that failed its check; str(exc) is a one-line message for the client."""


@dataclass(frozen=True)
class EventFilters:
    """Which events a listing covers. None means "any"."""

    country: str | None = None  # matches source_country or target_country
    event_type: str | None = None
    status: str | None = None
    lang: str | None = None
    since: date | None = None  # on event_day, inclusive
    until: date | None = None  # on event_day, inclusive
    q: str | None = None  # case-insensitive substring of the evidence sentence


# ------------------------------------------------------------------ validation


def _shown(value: str) -> str:
    """The offending value, quoted and cut short, for an error message."""
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


def parse_country(value: str | None) -> str | None:
    if not value:
        return None
    if not COUNTRY_RE.match(value):
        raise BadParameter(
            f"country must be an ISO 3166-1 alpha-3 or organisation code such as RUS or EU, got {_shown(value)}"
        )
    return value


def parse_event_type(value: str | None) -> str | None:
    if not value:
        return None
    if value not in event_types():
        raise BadParameter(f"type must be one of the taxonomy codes (VISIT, MEET, ...), got {_shown(value)}")
    return value


def parse_status(value: str | None) -> str | None:
    if not value:
        return None
    if value not in STATUSES:
        raise BadParameter(f"status must be one of {', '.join(STATUSES)}, got {_shown(value)}")
    return value


def parse_lang(value: str | None) -> str | None:
    if not value:
        return None
    if not LANG_RE.match(value):
        raise BadParameter(f"lang must be a 2- or 3-letter lower-case language code such as en, got {_shown(value)}")
    return value


def parse_date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    if not DATE_RE.match(value):
        raise BadParameter(f"{name} must be a date YYYY-MM-DD, got {_shown(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"{name} is not a real date: {_shown(value)}") from None


def parse_int(name: str, value: str | None, *, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not re.fullmatch(r"\d{1,9}", value):
        raise BadParameter(f"{name} must be a whole number from {low} to {high}, got {_shown(value)}")
    number = int(value)
    if not low <= number <= high:
        raise BadParameter(f"{name} must be from {low} to {high}, got {number}")
    return number


def parse_text_query(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_TEXT_QUERY:
        raise BadParameter(f"q must be at most {MAX_TEXT_QUERY} characters, got {len(value)}")
    if any(ord(ch) < 32 for ch in value):  # NUL cannot reach PostgreSQL; other controls are typos
        raise BadParameter("q must not contain control characters")
    return value.strip()


def parse_bucket(value: str | None) -> str:
    if not value:
        return "auto"
    if value not in BUCKETS:
        raise BadParameter(f"bucket must be one of {', '.join(BUCKETS)}, got {_shown(value)}")
    return value


def parse_filters(params: Mapping[str, str]) -> EventFilters:
    """EventFilters from query-string values (absent or empty = any); raises BadParameter."""
    filters = EventFilters(
        country=parse_country(params.get("country")),
        event_type=parse_event_type(params.get("type")),
        status=parse_status(params.get("status")),
        lang=parse_lang(params.get("lang")),
        since=parse_date("since", params.get("since")),
        until=parse_date("until", params.get("until")),
        q=parse_text_query(params.get("q")),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise BadParameter(f"since ({filters.since}) is after until ({filters.until})")
    return filters


# ------------------------------------------------------------------ queries


def _escape_like(text: str) -> str:
    """Make %, _ and the escape character itself literal in an ILIKE pattern (default escape: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filters: EventFilters, *extra: str) -> tuple[sql.Composable, list[Any]]:
    """A WHERE clause of fixed fragments over alias `e`, and its parameters in order."""
    clauses: list[str] = list(extra)
    params: list[Any] = []
    if filters.country:
        clauses.append("(e.source_country = %s OR e.target_country = %s)")
        params += [filters.country, filters.country]
    if filters.event_type:
        clauses.append("e.event_type = %s")
        params.append(filters.event_type)
    if filters.status:
        clauses.append("e.status = %s")
        params.append(filters.status)
    if filters.lang:
        clauses.append("e.lang = %s")
        params.append(filters.lang)
    if filters.since:
        clauses.append("e.event_day >= %s")
        params.append(filters.since)
    if filters.until:
        clauses.append("e.event_day <= %s")
        params.append(filters.until)
    if filters.q:
        clauses.append("e.sentence ILIKE %s")
        params.append("%" + _escape_like(filters.q) + "%")
    if not clauses:
        return sql.SQL(""), params
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(sql.SQL(c) for c in clauses), params


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def list_events(
    conn: psycopg2.extensions.connection, filters: EventFilters, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """(how many events match, one page of them newest first) as event records plus event_day,
    mention_count and article_title (the article's title, when the article is stored)."""
    where, params = _where(filters)
    columns = sql.SQL(", ").join(sql.SQL("e.") + sql.Identifier(c) for c in EVENT_COLUMNS)
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(sql.SQL("SELECT count(*) AS n FROM events e {}").format(where), params)
        total = int(cur.fetchone()["n"])
        if total == 0 or offset >= total:
            return total, []
        cur.execute(
            sql.SQL(
                "SELECT {}, a.title AS article_title FROM events e "
                "LEFT JOIN articles a ON a.article_id = e.article_id {} "
                "ORDER BY e.event_day DESC NULLS LAST, e.event_id LIMIT %s OFFSET %s"
            ).format(columns, where),
            [*params, limit, offset],
        )
        rows = cur.fetchall()
    events = []
    for row in rows:
        record = {k: _jsonable(v) for k, v in row.items()}
        if record.get("confidence") is not None:
            record["confidence"] = round(float(record["confidence"]), 4)  # float4 -> tidy JSON
        events.append(record)
    return total, events


def dyads(conn: psycopg2.extensions.connection, filters: EventFilters, limit: int = 100) -> list[dict[str, Any]]:
    """Country pairs, busiest first, with their event counts by type.

    For directed types country_a is the source and country_b the target; symmetric
    types (event_types.is_symmetric: MEET, PHONE_CALL, ...) are folded so that
    country_a < country_b, and RUS-CHN and CHN-RUS meetings count together.
    Events without both countries are left out.
    """
    where, params = _where(filters, "e.source_country IS NOT NULL", "e.target_country IS NOT NULL")
    query = sql.SQL(
        """SELECT
               CASE WHEN t.is_symmetric THEN least(e.source_country, e.target_country)
                    ELSE e.source_country END AS country_a,
               CASE WHEN t.is_symmetric THEN greatest(e.source_country, e.target_country)
                    ELSE e.target_country END AS country_b,
               e.event_type, count(*) AS events, sum(e.mention_count) AS mentions
           FROM events e JOIN event_types t ON t.event_type = e.event_type
           {}
           GROUP BY 1, 2, 3"""
    ).format(where)
    with conn.cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for a, b, event_type, n, mentions in rows:
        pair = pairs.setdefault((a, b), {"country_a": a, "country_b": b, "total": 0, "mentions": 0, "by_type": {}})
        pair["total"] += int(n)
        pair["mentions"] += int(mentions or 0)
        pair["by_type"][event_type] = int(n)
    ranked = sorted(pairs.values(), key=lambda p: (-p["total"], p["country_a"], p["country_b"]))
    for pair in ranked:
        pair["by_type"] = dict(sorted(pair["by_type"].items(), key=lambda kv: (-kv[1], kv[0])))
    return ranked[:limit]


def _auto_bucket(conn: psycopg2.extensions.connection, filters: EventFilters) -> str:
    """day for up to ~4 months, week up to 2 years, month beyond: a chart of a few hundred bars at most."""
    since, until = filters.since, filters.until
    if since is None or until is None:
        where, params = _where(filters, "e.event_day IS NOT NULL")
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT min(e.event_day), max(e.event_day) FROM events e {}").format(where), params)
            low, high = cur.fetchone()
        since, until = since or low, until or high
    if since is None or until is None:
        return "day"
    span = (until - since).days
    return "day" if span <= 120 else "week" if span <= 730 else "month"


def timeline(conn: psycopg2.extensions.connection, filters: EventFilters, bucket: str = "auto") -> dict[str, Any]:
    """Events per day (or week/month: `bucket`) and type: {"bucket", "types", "points": [{"day",
    "event_type", "events"}], "undated": events with no day}. "day" is the bucket's first day."""
    if bucket not in BUCKETS:
        raise BadParameter(f"bucket must be one of {', '.join(BUCKETS)}")
    if bucket == "auto":
        bucket = _auto_bucket(conn, filters)
    where, params = _where(filters, "e.event_day IS NOT NULL")
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "SELECT date_trunc(%s, e.event_day)::date AS day, e.event_type, count(*) "
                "FROM events e {} GROUP BY 1, 2 ORDER BY 1, 2"
            ).format(where),
            [bucket, *params],
        )
        rows = cur.fetchall()
        undated = 0  # a date range excludes undated events by definition
        if not (filters.since or filters.until):
            undated_where, undated_params = _where(filters, "e.event_day IS NULL")
            cur.execute(sql.SQL("SELECT count(*) FROM events e {}").format(undated_where), undated_params)
            undated = int(cur.fetchone()[0])
    points = [{"day": day.isoformat(), "event_type": t, "events": int(n)} for day, t, n in rows]
    return {
        "bucket": bucket,
        "types": sorted({p["event_type"] for p in points}),
        "points": points,
        "undated": undated,
    }


def quality(conn: psycopg2.extensions.connection, limit: int = 20) -> dict[str, Any]:
    """The latest Great Expectations runs (newest first) and what sits in quarantine unresolved."""
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(
            "SELECT run_id, suite, batch_key, success, evaluated_rows, failed_rows, statistics,"
            " failed_expectations, report_path, created_at"
            " FROM quality_results ORDER BY created_at DESC, run_id LIMIT %s",
            (limit,),
        )
        runs = [{k: _jsonable(v) for k, v in row.items()} for row in cur.fetchall()]
        cur.execute(
            "SELECT entity, count(*) AS n FROM quarantine WHERE resolved_at IS NULL GROUP BY entity ORDER BY entity"
        )
        by_entity = {row["entity"]: int(row["n"]) for row in cur.fetchall()}
    return {"runs": runs, "quarantined": sum(by_entity.values()), "quarantined_by_entity": by_entity}


def filter_options(conn: psycopg2.extensions.connection, top_countries: int = 300) -> dict[str, Any]:
    """What the page's filter controls offer: the taxonomy, the statuses, and the countries and
    languages present in the warehouse (most frequent first)."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT c, count(*) FROM (
                   SELECT source_country AS c FROM events UNION ALL SELECT target_country FROM events
               ) x WHERE c IS NOT NULL GROUP BY c ORDER BY 2 DESC, 1 LIMIT %s""",
            (top_countries,),
        )
        countries = [{"code": c, "events": int(n)} for c, n in cur.fetchall()]
        cur.execute("SELECT lang, count(*) FROM events WHERE lang IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1")
        langs = [{"code": c, "events": int(n)} for c, n in cur.fetchall()]
    return {
        "event_types": [
            {"code": t.code, "description": t.description, "symmetric": t.symmetric, "cameo": t.cameo}
            for t in event_types().values()
        ],
        "statuses": list(STATUSES),
        "countries": countries,
        "langs": langs,
    }
