"""Time expressions in news text, resolved against the publication date.

dateparser returns None for « octobre prochain », « mars dernier », « mardi
dernier » and "next October", and resolves "le 3 mars" by a global
PREFER_DATES_FROM setting; here the event's tense decides. Each expression is
found once (regular expressions over the sentence) and resolved with a
direction: "future" for planned events, "past" for occurred ones.
Results are ISO strings truncated to their precision: "2023-10-18", "2023-10", "2023".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"],
}
MONTH_ABBR_EN = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
}


@dataclass(frozen=True)
class TimeExpr:
    start: int  # character offsets in the sentence
    end: int
    kind: str  # full_date, day_month, month_year, month_rel, month, weekday, rel_day, rel_period, year
    groups: tuple[str, ...]  # unmatched groups are ""

    def resolve(self, published: date | None, direction: str) -> tuple[str | None, str]:
        """(ISO date truncated to precision, precision). direction: past | future | either."""
        value, precision = _resolve(self, published, direction)
        if value is not None and not _valid(int(value[:4]) if value[:4].isdigit() and len(value.split("-")[0]) == 4 else 0):
            return None, "unknown"  # "next year" from a year-9999 publication date is no date
        return value, precision


def _month_index(name: str) -> int | None:
    n = name.lower().rstrip(".")
    for months in MONTHS.values():
        if n in months:
            return months.index(n) + 1
    if n[:3] in MONTH_ABBR_EN and len(n) <= 4:
        return MONTH_ABBR_EN.index(n[:3]) + 1
    if n in ("fév", "févr", "sept", "déc"):
        return {"fév": 2, "févr": 2, "sept": 9, "déc": 12}[n]
    return None


@lru_cache(maxsize=4)
def _patterns(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    en_months = "|".join(MONTHS["en"] + [m.capitalize() + r"\.?" for m in MONTH_ABBR_EN] + ["sept\\.?"])
    fr_months = "|".join(MONTHS["fr"] + ["fév\\.?", "févr\\.?", "sept\\.?", "déc\\.?"])
    months = en_months if lang == "en" else fr_months
    wd = "|".join(WEEKDAYS.get(lang, WEEKDAYS["en"]))
    year = r"(1[89]\d\d|20\d\d)"
    if lang == "fr":
        specs = [
            ("full_date", rf"\b(\d{{1,2}})(?:er)?\s+({months})\s+{year}\b"),
            ("day_month", rf"\b(?:le\s+|ce\s+|du\s+|au\s+)?(?:(?:{wd})\s+)?(\d{{1,2}})(?:er)?\s+({months})\b"),
            ("month_rel", rf"\b(?:en\s+|au mois d[e']\s*|d[eè]s\s+|(?:début|fin|mi)[- ]+)?({months})\s+(prochain|dernier)\b"),
            ("month_year", rf"\b(?:en\s+|de\s+|(?:début|fin|mi)[- ]+)?({months})\s+{year}\b"),
            ("month", rf"\b(?:en|début|fin|mi|dès|courant)[- ]+({months})\b"),
            ("weekday", rf"\b(?:(ce)\s+)?({wd})\s*(dernier|prochain|matin|soir|après-midi)?\b"),
            ("rel_day", r"\b(avant-hier|hier|aujourd'hui|demain|après-demain|ce matin|ce soir|cette nuit|la veille|le lendemain)\b"),
            ("rel_period", r"\b(la semaine|le mois|l'année|l'an|cette semaine|ce mois-ci|cette année|le week-end|ce week-end)\s*(prochaine?|dernière?|passée?|à venir)?\b"),
            ("year", rf"\b(?:en|d'ici|depuis|courant)\s+{year}\b"),
        ]
    else:
        specs = [
            ("full_date", rf"\b(?:on\s+)?({months})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{year}\b"),
            ("full_date_dmy", rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({months})\s+{year}\b"),
            ("day_month_en", rf"\b(?:on\s+)?(?:(?:{wd}),?\s+)?({months})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*,?\s*\d)"),
            ("day_month", rf"\b(?:on\s+)?(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({months})\b"),
            ("month_rel_en", rf"\b(next|last|this|later this|early next|late last)\s+({months})\b"),
            ("month_year", rf"\b(?:in\s+|early\s+|late\s+|mid-)?({months})\s+(?:of\s+)?{year}\b"),
            ("month", rf"\b(?:in|early|late|mid-|since|until|by)\s*({months})\b"),
            ("weekday_en", rf"\b(?:(last|next|this|on|coming)\s+)?({wd})\b"),
            ("rel_day", r"\b(the day before yesterday|yesterday|today|tomorrow|the day after tomorrow|tonight|this morning|this evening|earlier today|overnight)\b"),
            ("rel_period_en", r"\b(next|last|this|earlier this|later this|past)\s+(week|month|year|weekend)\b"),
            ("year", rf"\b(?:in|by|since|during)\s+{year}\b"),
        ]
    flags = re.IGNORECASE
    return [(kind, re.compile(p, flags)) for kind, p in specs]


@lru_cache(maxsize=4096)
def find_time_expressions(text: str, lang: str) -> tuple[TimeExpr, ...]:
    """Non-overlapping time expressions in `text`, longest-first by the pattern order.

    Cached: every trigger of a sentence asks for the same sentence's expressions.
    """
    found: list[TimeExpr] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _patterns("en" if lang == "en" else "fr"):
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            if kind in ("weekday", "weekday_en", "month") and m.group(0).lower() in {"may", "march", "mars", "mai"}:
                continue  # "may" the verb, "mars" the planet are too risky alone
            if kind == "weekday_en" and not m.group(1) and m.start() > 0 and text[m.start() - 1] == "'":
                continue
            taken.append((s, e))
            found.append(TimeExpr(s, e, kind, tuple(g or "" for g in m.groups())))
    found.sort(key=lambda t: t.start)
    return tuple(found)


def _fmt(d: date, precision: str) -> str:
    if precision == "day":
        return d.isoformat()
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return f"{d.year:04d}"


def _valid(year: int) -> bool:
    return 1900 <= year <= 2100


def _month_near(month: int, published: date, direction: str) -> date:
    """The month `month` nearest to `published` in `direction` (the current month counts as both)."""
    this_year = date(published.year, month, 1)
    if direction == "future":
        return this_year if month >= published.month else date(published.year + 1, month, 1)
    if direction == "past":
        return this_year if month <= published.month else date(published.year - 1, month, 1)
    return this_year


def _day_near(month: int, day: int, published: date, direction: str) -> date | None:
    for year in (published.year, published.year + 1, published.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if direction == "future" and candidate >= published and candidate <= published + timedelta(days=366):
            return candidate
        if direction == "past" and candidate <= published and candidate >= published - timedelta(days=366):
            return candidate
        if direction == "either" and year == published.year:
            return candidate
    return None


def _weekday_near(weekday: int, published: date, direction: str, qualifier: str | None) -> date:
    delta = (weekday - published.weekday()) % 7
    if qualifier in ("next", "prochain", "coming"):
        return published + timedelta(days=delta or 7)
    if qualifier in ("last", "dernier"):
        back = (published.weekday() - weekday) % 7
        return published - timedelta(days=back or 7)
    if direction == "future":
        return published + timedelta(days=delta)
    back = (published.weekday() - weekday) % 7
    return published - timedelta(days=back)


def _week_month(monday: date) -> tuple[str | None, str]:
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        return _fmt(monday, "month"), "month"
    return None, "unknown"


def _resolve(t: TimeExpr, published: date | None, direction: str) -> tuple[str | None, str]:
    g = t.groups
    try:
        if t.kind == "full_date":
            if g[0] and g[0].isdigit():  # fr: day month year
                d = date(int(g[2]), _month_index(g[1]) or 0, int(g[0]))
            else:  # en: month day, year
                d = date(int(g[2]), _month_index(g[0]) or 0, int(g[1]))
            return (_fmt(d, "day"), "day") if _valid(d.year) else (None, "unknown")
        if t.kind == "full_date_dmy":
            d = date(int(g[2]), _month_index(g[1]) or 0, int(g[0]))
            return (_fmt(d, "day"), "day") if _valid(d.year) else (None, "unknown")
        if t.kind == "month_year":
            m, y = _month_index(g[0]), int(g[1])
            return (f"{y:04d}-{m:02d}", "month") if m and _valid(y) else (None, "unknown")
        if t.kind == "year":
            y = int(g[0])
            return (f"{y:04d}", "year") if _valid(y) else (None, "unknown")
        if published is None:
            return None, "unknown"
        if t.kind in ("day_month", "day_month_en"):
            month_name, day = (g[1], g[0]) if t.kind == "day_month" else (g[0], g[1])
            m = _month_index(month_name)
            near = _day_near(m, int(day), published, direction) if m else None
            return (_fmt(near, "day"), "day") if near else (None, "unknown")
        if t.kind == "month_rel":
            m = _month_index(g[0]) or 0
            way = "future" if g[1].lower() == "prochain" else "past"
            d = _month_near(m, published, way)
            if way == "future" and m == published.month:
                d = date(published.year + 1, m, 1)
            if way == "past" and m == published.month:
                d = date(published.year - 1, m, 1)
            return _fmt(d, "month"), "month"
        if t.kind == "month_rel_en":
            q, m = g[0].lower(), _month_index(g[1]) or 0
            if q in ("next", "early next"):
                d = _month_near(m, published, "future")
                if m == published.month:
                    d = date(published.year + 1, m, 1)
            elif q in ("last", "late last"):
                d = _month_near(m, published, "past")
                if m == published.month:
                    d = date(published.year - 1, m, 1)
            else:
                d = date(published.year, m, 1)
            return _fmt(d, "month"), "month"
        if t.kind == "month":
            m = _month_index(g[0]) or 0
            return _fmt(_month_near(m, published, direction), "month"), "month"
        if t.kind in ("weekday", "weekday_en"):
            if t.kind == "weekday":
                qualifier, name = (g[2] or "").lower() or None, g[1].lower()
                if g[0] and not qualifier:
                    qualifier = None  # "ce mardi": the nearest in the tense's direction
            else:
                qualifier, name = (g[0] or "").lower() or None, g[1].lower()
                if qualifier in ("on", "this"):
                    qualifier = None
            names = WEEKDAYS["fr"] if name in WEEKDAYS["fr"] else WEEKDAYS["en"]
            if qualifier in ("matin", "soir", "après-midi"):
                qualifier = None
            d = _weekday_near(names.index(name), published, direction, qualifier)
            return _fmt(d, "day"), "day"
        if t.kind == "rel_day":
            word = g[0].lower()
            offsets = {
                "avant-hier": -2, "hier": -1, "aujourd'hui": 0, "demain": 1, "après-demain": 2, "ce matin": 0,
                "ce soir": 0, "cette nuit": 0, "the day before yesterday": -2, "yesterday": -1, "today": 0,
                "tomorrow": 1, "the day after tomorrow": 2, "tonight": 0, "this morning": 0, "this evening": 0,
                "earlier today": 0, "overnight": 0,
            }
            if word not in offsets:
                return None, "unknown"
            return _fmt(published + timedelta(days=offsets[word]), "day"), "day"
        if t.kind in ("rel_period", "rel_period_en"):
            if t.kind == "rel_period":
                unit, q = g[0].lower(), (g[1] or "").lower()
                way = "future" if q.startswith("prochain") or q == "à venir" else (
                    "past" if q.startswith("derni") or q.startswith("pass") else "this")
                unit = {"la semaine": "week", "cette semaine": "week", "le mois": "month", "ce mois-ci": "month",
                        "l'année": "year", "l'an": "year", "cette année": "year", "le week-end": "weekend",
                        "ce week-end": "weekend"}.get(unit, unit)
            else:
                q, unit = g[0].lower(), g[1].lower()
                way = {"next": "future", "last": "past", "past": "past"}.get(q, "this")
            step = {"future": 1, "past": -1, "this": 0}[way]
            if unit in ("week", "weekend"):
                monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
                if unit == "weekend":
                    return _fmt(monday + timedelta(days=5), "day"), "day"
                return _week_month(monday)
            if unit == "month":
                y, m = published.year, published.month + step
                if m == 0:
                    y, m = y - 1, 12
                elif m == 13:
                    y, m = y + 1, 1
                return f"{y:04d}-{m:02d}", "month"
            if unit == "year":
                return f"{published.year + step:04d}", "year"
    except (ValueError, TypeError, OverflowError):  # year 1 or 9999 publication dates
        return None, "unknown"
    return None, "unknown"


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])
