"""Validate a batch of rows against a suite with GX Core; rows that fail go to quarantine, the rest load.

Decision: we run GX Core (great-expectations 1.x) inside our own task code instead of
using airflow-provider-great-expectations. That provider (1.0.0) caps structlog below
25.5, which cannot be installed with apache-airflow 3.3.1+ (it needs structlog 26), and
its operators fail the whole task on any failed expectation. We need row-level
quarantine instead: each failing row goes to the `quarantine` table with the
expectations it failed, and the rest of the batch loads.

How: the batch becomes a pandas DataFrame (plus the helper columns the suite declares)
validated with result_format COMPLETE, whose `unexpected_index_list` names the failing
rows of every expectation. Only row-level (map) expectations are allowed in suites, so
every failure maps to rows; for uniqueness, the first occurrence of an id is kept and
the later copies are quarantined. The GX context, data source and suites are built once
per process (GX is slow to import and set up).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from diplowatch.quality.suites import (
    DERIVED_COLUMNS,
    UNIQUENESS_EXPECTATIONS,
    ExpectationSpec,
    SuiteSpec,
    load_suite,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

RESULT_KEYS = (
    "run_id", "suite", "batch_key", "success", "evaluated_rows", "failed_rows",
    "statistics", "failed_expectations", "report_path",
)
SAMPLE_SIZE = 5


class QualityError(RuntimeError):
    """An expectation could not be evaluated (a suite or code bug, not bad data)."""


@dataclass
class QuarantinedRow:
    row: dict[str, Any]
    expectations: list[str]  # labels, e.g. "expect_column_values_to_be_in_set(event_type)"
    reason: str  # one line, e.g. "event_type 'PARTY' not in taxonomy; confidence 1.7 outside [0, 1]"


@dataclass
class ValidationOutcome:
    good: list[dict[str, Any]]
    bad: list[QuarantinedRow]
    result: dict[str, Any] = field(default_factory=dict)  # the shape warehouse.load.record_quality_result takes


def run_id_for(suite: str, batch_key: str) -> str:
    """Deterministic: validating the same batch again overwrites its quality_results row."""
    return hashlib.sha256(f"{suite}:{batch_key}".encode()).hexdigest()[:32]


# ------------------------------------------------------------------ GX, once per process


class _Engine:
    """The ephemeral GX context with one pandas data source and, per suite, an asset and built suite."""

    def __init__(self) -> None:
        # Task logs need GX's warnings only (its import and context log at DEBUG/INFO).
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        with warnings.catch_warnings():
            # GX 1.24 imports the deprecated sre_constants/sre_parse modules; not ours to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            # Some GX modules set their loggers to INFO while importing and log ~150 lines
            # ("Skipping registering function …"): silence everything below WARNING meanwhile.
            logging.disable(logging.INFO)
            try:
                import great_expectations as gx
                from great_expectations.data_context.types.base import ProgressBarsConfig
            finally:
                logging.disable(logging.NOTSET)

        # Some GX modules set their own logger to INFO, which overrides the parent's level.
        for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "great_expectations"]:
            logger = logging.getLogger(name)
            if logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        # No tqdm "Calculating Metrics" bars in task logs.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.datasource = self.context.data_sources.add_pandas(name="diplowatch")
        self._batch_definitions: dict[str, Any] = {}
        self._suites: dict[tuple[str, int], Any] = {}

    def batch_definition(self, suite: str) -> Any:
        if suite not in self._batch_definitions:
            asset = self.datasource.add_dataframe_asset(name=suite)
            self._batch_definitions[suite] = asset.add_batch_definition_whole_dataframe(f"{suite}_batch")
        return self._batch_definitions[suite]

    def suite(self, spec: SuiteSpec, year: int) -> Any:
        key = (spec.name, year)
        if key not in self._suites:
            from great_expectations.expectations.expectation import (
                ColumnMapExpectation,
                ColumnPairMapExpectation,
                MulticolumnMapExpectation,
            )
            from great_expectations.expectations.registry import get_expectation_impl

            suite = self._gx.ExpectationSuite(name=spec.name)
            for e in spec.expectations:
                cls = get_expectation_impl(e.expectation)
                if not issubclass(cls, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation):
                    raise ValueError(f"suite {spec.name!r}: {e.expectation} is not row-level, rows cannot be quarantined")
                suite.add_expectation(cls(**e.kwargs, meta={**e.meta, "diplowatch_index": e.index}))
            self._suites[key] = suite
        return self._suites[key]


_engine: _Engine | None = None
_engine_lock = threading.Lock()
_gx_lock = threading.Lock()


def _get_engine() -> _Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _Engine()
        return _engine


# ------------------------------------------------------------------ the batch as a frame


def _number(value: Any) -> float:
    """Numbers stay; null is NaN (GX counts it missing); anything else is +inf, outside every range."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return math.inf
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.inf


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str) else str(value)


def _checked_value(spec: SuiteSpec, column: str, row: Mapping[str, Any]) -> Any:
    return DERIVED_COLUMNS[column](row) if column in spec.derived_columns else row.get(column)


def _frame(spec: SuiteSpec, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One column per column the suite checks, typed so that odd values fail expectations instead of crashing them."""
    import pandas as pd

    numeric = spec.numeric_columns
    data: dict[str, pd.Series] = {}
    for column in spec.columns:
        values = [_checked_value(spec, column, r) for r in rows]
        if column in numeric:
            data[column] = pd.Series([_number(v) for v in values], dtype="float64")
        else:
            data[column] = pd.Series([_text(v) for v in values], dtype=object)
    return pd.DataFrame(data)


# ------------------------------------------------------------------ results to rows


def _raised(exception_info: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if any."""
    if not isinstance(exception_info, Mapping):
        return None
    if "raised_exception" in exception_info:
        return str(exception_info.get("exception_message")) if exception_info["raised_exception"] else None
    for info in exception_info.values():
        message = _raised(info)
        if message:
            return message
    return None


def _later_copies(indices: list[int], rows: list[dict[str, Any]], column: str) -> list[int]:
    """Of the rows GX flags as duplicates, all but the first of each value."""
    seen: set[str] = set()
    later = []
    for i in sorted(indices):
        key = _text(rows[i].get(column)) or ""
        if key in seen:
            later.append(i)
        seen.add(key)
    return later


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _sample(spec: SuiteSpec, e: ExpectationSpec, rows: list[dict[str, Any]], indices: list[int]) -> list[Any]:
    sample: list[Any] = []
    seen: set[str] = set()
    for i in indices:
        if len(e.columns) == 1:
            value = _checked_value(spec, e.columns[0], rows[i])
        else:
            value = {c: _checked_value(spec, c, rows[i]) for c in e.columns}
        key = json.dumps(value, default=str, sort_keys=True)
        if key not in seen:
            seen.add(key)
            sample.append(_json_safe(value))
        if len(sample) == SAMPLE_SIZE:
            break
    return sample


def _statistics(stats: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "evaluated_expectations": int(stats.get("evaluated_expectations") or 0),
        "successful_expectations": int(stats.get("successful_expectations") or 0),
        "unsuccessful_expectations": int(stats.get("unsuccessful_expectations") or 0),
        "success_percent": None if stats.get("success_percent") is None else float(stats["success_percent"]),
    }


def validate_rows(suite_name: str, rows: list[dict[str, Any]], *, batch_key: str) -> ValidationOutcome:
    """Validate `rows` (dicts) against quality/suites/<suite_name>.json.

    Returns the rows to load (`good`, input order), the rows to quarantine (`bad`, each
    with the labels of the expectations it failed and a one-line reason) and `result`,
    the dict warehouse.load.record_quality_result stores (report_path None until
    report.write_report fills it). An empty batch is a success without calling GX.

    Raises ValueError for an unknown suite, QualityError if GX could not evaluate an expectation.
    """
    year = date.today().year
    spec = load_suite(suite_name, year)
    result: dict[str, Any] = {
        "run_id": run_id_for(spec.name, batch_key),
        "suite": spec.name,
        "batch_key": batch_key,
        "success": True,
        "evaluated_rows": len(rows),
        "failed_rows": 0,
        "statistics": _statistics({}),
        "failed_expectations": [],
        "report_path": None,
    }
    if not rows:
        return ValidationOutcome(good=[], bad=[], result=result)

    started = time.perf_counter()
    frame = _frame(spec, rows)
    engine = _get_engine()
    with _gx_lock:  # batches of one data source share GX's execution engine: one at a time
        batch = engine.batch_definition(spec.name).get_batch(batch_parameters={"dataframe": frame})
        gx_result = batch.validate(engine.suite(spec, year), result_format={"result_format": "COMPLETE"})

    failed: dict[int, list[ExpectationSpec]] = {}
    failed_expectations = []
    by_index = {e.index: e for e in spec.expectations}
    for r in sorted(gx_result.results, key=lambda r: r.expectation_config.meta["diplowatch_index"]):
        e = by_index[r.expectation_config.meta["diplowatch_index"]]
        message = _raised(r.exception_info)
        if message:
            raise QualityError(f"suite {spec.name!r}: {e.label} could not be evaluated: {message}")
        if r.success:
            continue
        indices = r.result.get("unexpected_index_list")
        if indices is None:
            raise QualityError(f"suite {spec.name!r}: {e.label} failed without naming its rows")
        indices = sorted(int(i) for i in indices)
        if e.expectation in UNIQUENESS_EXPECTATIONS:
            indices = _later_copies(indices, rows, e.columns[0])
        for i in indices:
            failed.setdefault(i, []).append(e)
        failed_expectations.append(
            {
                "expectation": e.expectation,
                "column": ", ".join(e.columns),
                "unexpected_count": int(r.result.get("unexpected_count", len(indices))),
                "quarantined_rows": len(indices),
                "sample": _sample(spec, e, rows, indices),
            }
        )

    bad = []
    for i in sorted(failed):
        row = rows[i]
        reasons = [e.reason(row, _checked_value(spec, e.columns[0], row) if e.columns else None) for e in failed[i]]
        bad.append(QuarantinedRow(row=row, expectations=[e.label for e in failed[i]], reason="; ".join(reasons)))
    good = [row for i, row in enumerate(rows) if i not in failed]

    result.update(
        success=bool(gx_result.success),
        failed_rows=len(bad),
        statistics=_statistics(gx_result.statistics),
        failed_expectations=failed_expectations,
    )
    log.info(
        "quality suite %s, batch %s: %d rows, %d quarantined, %d/%d expectations passed (%.2fs)",
        spec.name, batch_key, len(rows), len(bad), result["statistics"]["successful_expectations"],
        result["statistics"]["evaluated_expectations"], time.perf_counter() - started,
    )
    return ValidationOutcome(good=good, bad=bad, result=result)
