"""The validation suites: declarative JSON files under quality/suites/, read into plain specs.

A suite file names the entity it checks, its id column, the helper columns it needs
(described in the file, computed here in DERIVED_COLUMNS) and a list of row-level
expectations, each in this form:

    {"expectation": "expect_column_values_to_be_in_set",          # a GX Core 1.x expectation
     "kwargs": {"column": "event_type", "value_set": "@taxonomy"},  # its arguments
     "says": "event_type {value} not in taxonomy",                  # the quarantine reason for one row
     "meta": {"why": "..."}}                                        # for reviewers and the report

Placeholders in kwargs are filled when the suite is read: "@taxonomy" (the event type
codes), "@statuses", "@precisions", "@current_year" and "@current_year+N". In "says",
{value} is the checked value of the failing row ({length} its length), {row[field]} any
field of it, and
{min_value}, {max_value}, {regex}, ... the expectation's arguments.

This module does not import Great Expectations: validate.py turns specs into GX objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from diplowatch.events.taxonomy import PRECISIONS, STATUSES, event_types

SUITES_DIR = Path(__file__).parent / "suites"

# Expectations whose value must be compared as a number (the frame column is made numeric).
NUMERIC_EXPECTATIONS = frozenset({"expect_column_values_to_be_between"})
# Expectations that flag every copy of a duplicate; we quarantine all but the first.
UNIQUENESS_EXPECTATIONS = frozenset({"expect_column_values_to_be_unique"})

_YEAR = re.compile(r"^(\d{4})(-\d{2}(-\d{2})?)?$")
_LEADING_YEAR = re.compile(r"^(\d{4})\b")
_CURRENT_YEAR = re.compile(r"^@current_year([+-]\d+)?$")
_SUITE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _event_year(row: Mapping[str, Any]) -> int | None:
    """Year of a well-formed event_date; None otherwise (the regex expectation reports malformed ones)."""
    value = row.get("event_date")
    m = _YEAR.match(value) if isinstance(value, str) else None
    return int(m.group(1)) if m else None


def _published_year(row: Mapping[str, Any]) -> int | None:
    """Year of `published` (a date, a datetime or an ISO string); 0 when it is set but not a date."""
    value = row.get("published")
    if value is None or value == "":
        return None
    if isinstance(value, date | datetime):
        return value.year
    m = _LEADING_YEAR.match(value) if isinstance(value, str) else None
    return int(m.group(1)) if m else 0


def _text_length(row: Mapping[str, Any]) -> int:
    value = row.get("text")
    return len(value) if isinstance(value, str) else 0


DERIVED_COLUMNS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "event_year": _event_year,
    "published_year": _published_year,
    "text_length": _text_length,
}


def _show(value: Any, limit: int = 80) -> str:
    """A value as it appears in a one-line reason: repr, shortened."""
    text = "null" if value is None else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _ShownRow(dict):
    """Lets a reason template say {row[field]} for any field, present or not."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        super().__init__()
        self._row = row

    def __missing__(self, key: str) -> str:
        return _show(self._row.get(key))


@dataclass(frozen=True)
class ExpectationSpec:
    index: int
    expectation: str
    kwargs: dict[str, Any]
    says: str
    meta: dict[str, Any]

    @property
    def columns(self) -> tuple[str, ...]:
        kw = self.kwargs
        if "column" in kw:
            return (kw["column"],)
        if "column_A" in kw:
            return (kw["column_A"], kw["column_B"])
        return tuple(kw.get("column_list", ()))

    @property
    def label(self) -> str:
        """How the expectation is named in quarantine rows and reports."""
        return f"{self.expectation}({', '.join(self.columns)})"

    def reason(self, row: Mapping[str, Any], value: Any) -> str:
        """One readable line saying why `row` failed this expectation."""
        fields = {k: v for k, v in self.kwargs.items() if k != "value_set"}
        fields.update(
            column=", ".join(self.columns),
            value=_show(value),
            length=len(value) if isinstance(value, str) else 0,
            row=_ShownRow(row),
        )
        return " ".join(self.says.format_map(fields).split())


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    entity: str
    id_column: str
    about: str
    derived_columns: dict[str, str]
    expectations: tuple[ExpectationSpec, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the expectations look at, in first-use order."""
        seen: dict[str, None] = {}
        for e in self.expectations:
            seen.update(dict.fromkeys(e.columns))
        return tuple(seen)

    @property
    def numeric_columns(self) -> frozenset[str]:
        return frozenset(c for e in self.expectations if e.expectation in NUMERIC_EXPECTATIONS for c in e.columns)


def suite_names() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def _placeholder(name: str, year: int) -> Any:
    m = _CURRENT_YEAR.match(name)
    if m:
        return year + int(m.group(1) or 0)
    values: dict[str, Callable[[], Any]] = {
        "@taxonomy": lambda: sorted(event_types()),
        "@statuses": lambda: list(STATUSES),
        "@precisions": lambda: list(PRECISIONS),
    }
    if name not in values:
        raise ValueError(f"unknown placeholder {name!r} in a quality suite")
    return values[name]()


def _resolve(value: Any, year: int) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return _placeholder(value, year)
    if isinstance(value, list):
        return [_resolve(v, year) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, year) for k, v in value.items()}
    return value


@lru_cache(maxsize=16)
def load_suite(name: str, year: int | None = None) -> SuiteSpec:
    """Read quality/suites/<name>.json with placeholders filled ("@current_year" = `year`, default today's).

    Raises ValueError for an unknown suite, placeholder or derived column.
    """
    if not _SUITE_NAME.match(name) or not (SUITES_DIR / f"{name}.json").is_file():
        raise ValueError(f"unknown quality suite {name!r}; known: {', '.join(suite_names())}")
    year = year or date.today().year
    raw = json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    derived = dict(raw.get("derived_columns") or {})
    unknown = sorted(set(derived) - set(DERIVED_COLUMNS))
    if unknown:
        raise ValueError(f"suite {name!r}: no code computes derived column(s) {', '.join(unknown)}")
    expectations = tuple(
        ExpectationSpec(
            index=i,
            expectation=e["expectation"],
            kwargs=_resolve(e.get("kwargs") or {}, year),
            says=e.get("says") or "{value} failed " + e["expectation"],
            meta=dict(e.get("meta") or {}),
        )
        for i, e in enumerate(raw["expectations"])
    )
    undeclared = sorted({c for e in expectations for c in e.columns} & set(DERIVED_COLUMNS) - set(derived))
    if undeclared:
        raise ValueError(f"suite {name!r}: derived column(s) {', '.join(undeclared)} used but not declared")
    return SuiteSpec(
        name=raw.get("suite", name),
        entity=raw["entity"],
        id_column=raw["id_column"],
        about=raw.get("about", ""),
        derived_columns=derived,
        expectations=expectations,
    )
