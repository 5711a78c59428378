"""Static HTML validation reports (our stand-in for GX Data Docs): one page per run, and an index.

Layout under the reports directory (default <home>/quality_reports):
    <suite>/<run_id>.html   the page: suite, time, success, statistics, every expectation, quarantined rows
    <suite>/<run_id>.json   the run's result and time, read back to build the index
    index.html              every report, newest first
Pages are self-contained (inline CSS, no script) and every value is HTML-escaped.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from diplowatch import settings
from diplowatch.quality.suites import ExpectationSpec, SuiteSpec, load_suite
from diplowatch.quality.validate import QuarantinedRow

MAX_ROWS_SHOWN = 1000
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1f24; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.85rem; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; }
.muted { color: #57606a; }
"""


def default_directory() -> Path:
    return settings.home() / "quality_reports"


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _write_atomic(path: Path, text: str) -> None:
    """Readers (a browser, a concurrent index rebuild) never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _status(ok: bool) -> str:
    return '<span class="pass">PASS</span>' if ok else '<span class="fail">FAIL</span>'


def _arguments(e: ExpectationSpec) -> str:
    shown = {}
    for k, v in e.kwargs.items():
        if k in ("column", "column_list"):
            continue
        if isinstance(v, list) and len(v) > 8:
            v = [*v[:8], f"… {len(v) - 8} more"]
        shown[k] = v
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in shown.items())


def _expectation_rows(spec: SuiteSpec | None, failed: list[dict[str, Any]]) -> str:
    by_key = {(f["expectation"], f["column"]): f for f in failed}
    items: list[tuple[str, str, str, dict[str, Any] | None]] = []
    if spec is not None:
        for e in spec.expectations:
            f = by_key.pop((e.expectation, ", ".join(e.columns)), None)
            items.append((e.label, _arguments(e), str(e.meta.get("why", "")), f))
    for f in by_key.values():  # failures the current suite file no longer has
        items.append((f"{f['expectation']}({f['column']})", "", "", f))
    rows = []
    for label, args, why, f in items:
        counts = (
            f"<td>{_e(f.get('unexpected_count'))}</td><td>{_e(f.get('quarantined_rows'))}</td>"
            f"<td><code>{_e(json.dumps(f.get('sample'), ensure_ascii=False, default=str))}</code></td>"
            if f
            else "<td>0</td><td>0</td><td></td>"
        )
        rows.append(
            f"<tr><td>{_status(f is None)}</td><td><code>{_e(label)}</code>"
            + (f"<div class=\"muted\"><code>{_e(args)}</code></div>" if args else "")
            + f"</td><td>{_e(why)}</td>{counts}</tr>"
        )
    return (
        "<table><tr><th>status</th><th>expectation</th><th>why</th><th>unexpected</th>"
        "<th>rows quarantined</th><th>sample of unexpected values</th></tr>\n" + "\n".join(rows) + "</table>"
    )


def _quarantine_rows(bad: Sequence[QuarantinedRow], id_column: str | None) -> str:
    if not bad:
        return "<p>No row was quarantined.</p>"
    rows = []
    for n, q in enumerate(bad[:MAX_ROWS_SHOWN], 1):
        row_id = q.row.get(id_column) if id_column else None
        payload = json.dumps(q.row, ensure_ascii=False, indent=2, default=str)
        rows.append(
            f"<tr><td>{n}</td><td><code>{_e(row_id)}</code></td><td>{_e(q.reason)}</td>"
            f"<td>{'<br>'.join(f'<code>{_e(x)}</code>' for x in q.expectations)}</td>"
            f"<td><details><summary>row</summary><pre>{_e(payload)}</pre></details></td></tr>"
        )
    more = (
        f"<p class=\"muted\">{len(bad) - MAX_ROWS_SHOWN} more rows are in the quarantine table.</p>"
        if len(bad) > MAX_ROWS_SHOWN
        else ""
    )
    return (
        "<table><tr><th>#</th><th>id</th><th>reason</th><th>failed expectations</th><th>payload</th></tr>\n"
        + "\n".join(rows)
        + "</table>"
        + more
    )


def _render(result: dict[str, Any], bad: Sequence[QuarantinedRow], spec: SuiteSpec | None, when: str) -> str:
    stats = result.get("statistics") or {}
    summary = [
        ("suite", result.get("suite")),
        ("run id", result.get("run_id")),
        ("batch", result.get("batch_key")),
        ("generated", when),
        ("rows evaluated", result.get("evaluated_rows")),
        ("rows quarantined", result.get("failed_rows")),
        *((k.replace("_", " "), round(v, 1) if isinstance(v, float) else v) for k, v in stats.items()),
    ]
    derived = ""
    if spec is not None and spec.derived_columns:
        derived = "<h2>Helper columns</h2><ul>" + "".join(
            f"<li><code>{_e(k)}</code>: {_e(v)}</li>" for k, v in spec.derived_columns.items()
        ) + "</ul>"
    body = (
        f"<p><a href=\"../index.html\">All reports</a></p>"
        f"<h1>{_status(bool(result.get('success')))} Quality report: {_e(result.get('suite'))}</h1>"
        + (f"<p class=\"muted\">{_e(spec.about)}</p>" if spec is not None else "")
        + "<table>"
        + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in summary)
        + "</table><h2>Expectations</h2>"
        + _expectation_rows(spec, list(result.get("failed_expectations") or []))
        + derived
        + "<h2>Quarantined rows</h2>"
        + _quarantine_rows(bad, spec.id_column if spec is not None else None)
    )
    return _page(f"{result.get('suite')} {result.get('run_id')}", body)


def _write_index(directory: Path) -> None:
    entries = []
    for meta_path in directory.glob("*/*.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        entries.append((str(meta.get("generated_at", "")), meta_path.parent.name, meta_path.stem, meta))
    entries.sort(key=lambda x: (x[0], x[1], x[2]), reverse=True)
    rows = [
        f"<tr><td>{_e(when)}</td><td>{_status(bool(m.get('success')))}</td><td>{_e(suite)}</td>"
        f"<td><a href=\"{_e(suite)}/{_e(run_id)}.html\"><code>{_e(run_id)}</code></a></td>"
        f"<td>{_e(m.get('batch_key'))}</td><td>{_e(m.get('evaluated_rows'))}</td><td>{_e(m.get('failed_rows'))}</td></tr>"
        for when, suite, run_id, m in entries
    ]
    body = (
        "<h1>diplowatch quality reports</h1><table><tr><th>generated</th><th>status</th><th>suite</th>"
        "<th>run</th><th>batch</th><th>rows</th><th>quarantined</th></tr>\n" + "\n".join(rows) + "</table>"
    )
    _write_atomic(directory / "index.html", _page("diplowatch quality reports", body))


def write_report(
    outcome_result: dict[str, Any], bad: Sequence[QuarantinedRow], directory: Path | None = None
) -> Path:
    """Write <directory>/<suite>/<run_id>.html for a validation result and refresh index.html.

    `outcome_result` is ValidationOutcome.result; its report_path is set to the page's
    path, so that record_quality_result stores it. A rerun of the same batch (same
    run_id) replaces its page. Raises ValueError if suite or run_id is not a plain name.
    """
    directory = Path(directory) if directory is not None else default_directory()
    suite, run_id = str(outcome_result.get("suite")), str(outcome_result.get("run_id"))
    if not _SAFE_NAME.match(suite) or not _SAFE_NAME.match(run_id):
        raise ValueError(f"suite {suite!r} and run_id {run_id!r} must be plain names")
    try:
        spec: SuiteSpec | None = load_suite(suite)
    except ValueError:
        spec = None
    when = datetime.now(UTC).isoformat(timespec="seconds")
    path = directory / suite / f"{run_id}.html"
    outcome_result["report_path"] = str(path)
    _write_atomic(path, _render(outcome_result, bad, spec, when))
    meta = {k: outcome_result.get(k) for k in ("suite", "run_id", "batch_key", "success", "evaluated_rows", "failed_rows")}
    _write_atomic(path.with_suffix(".json"), json.dumps({**meta, "generated_at": when}, default=str))
    _write_index(directory)
    return path
