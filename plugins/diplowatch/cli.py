"""The `diplowatch` command (CONTRACT section 1): extract, eval, fetch, db, quarantine, demo, up."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad arguments or input: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _iso_datetime(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date-time (ISO 8601): {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# ------------------------------------------------------------------ extract
def _read_input(name: str) -> tuple[str, bytes]:
    if name == "-":
        return "-", sys.stdin.buffer.read()
    path = Path(name)
    if not path.exists():
        raise UsageError(f"diplowatch extract: no such file: {name}")
    if path.is_dir():
        raise UsageError(f"diplowatch extract: is a directory: {name}")
    try:
        return name, path.read_bytes()
    except OSError as exc:
        raise UsageError(f"diplowatch extract: cannot read {name}: {exc.strerror}") from None


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in body[:20000].lower() or (
        head.startswith(b"<") and b"</p>" in body[:50000].lower()
    )


def _text_of(name: str, body: bytes) -> tuple[str, date | None, str | None]:
    """(text, published found in the page, language declared by the page)."""
    if b"\x00" in body[:4096]:
        raise UsageError(f"diplowatch extract: {name}: binary data, not text or HTML")
    if _looks_like_html(body):
        from diplowatch.parse.articles import ParseError, parse_article

        try:
            art = parse_article(body, url=f"file://{Path(name).resolve()}" if name != "-" else "file:///stdin")
        except ParseError as exc:
            raise UsageError(f"diplowatch extract: {name}: {exc}") from None
        return art.text, art.published, art.lang
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"diplowatch extract: {name}: not UTF-8 text (byte {exc.start})") from None
    return text, None, None


def cmd_extract(args: argparse.Namespace) -> int:
    from diplowatch.events.extract import ArticleInput, Extractor, article_key

    inputs: list[tuple[str, ArticleInput]] = []
    for name in args.files:  # read and check everything first: bad input fails before models load
        name, body = _read_input(name)
        text, page_published, page_lang = _text_of(name, body)
        lang = None if args.lang == "auto" else args.lang
        inputs.append((name, ArticleInput(
            text=text,
            published=args.published or page_published,
            lang=lang or (page_lang if page_lang in ("en", "fr") else None),
            key=article_key(text),
            url=None,
        )))
    extractor = Extractor()
    rows: list[dict[str, Any]] = []
    for (name, _), events in zip(inputs, extractor.extract_many(a for _, a in inputs), strict=True):
        for ev in events:
            rec = ev.to_record()
            rec["input"] = name
            rows.append(rec)
            if args.format == "jsonl":
                print(json.dumps(rec, ensure_ascii=False), flush=False)
    if args.format == "table":
        _print_events_table(rows)
    sys.stdout.flush()
    return 0


def _print_events_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} event(s)", show_lines=False)
    for col in ("input", "event_type", "source → target", "date", "status", "context", "attributed_to"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.get("input")), r["event_type"], f"{r['source_country']} → {r['target_country']}",
            str(r.get("event_date") or "—"), r["status"], str(r.get("context") or ""), str(r.get("attributed_to") or ""),
        )
    Console().print(table)


# --------------------------------------------------------------------- eval
def cmd_eval(args: argparse.Namespace) -> int:
    from diplowatch.events.evaluate import CaseError, read_cases, score
    from diplowatch.events.extract import ArticleInput, Extractor

    path = Path(args.cases)
    if not path.exists():
        raise UsageError(f"diplowatch eval: no such file: {args.cases}")
    try:
        cases = read_cases(path)
    except CaseError as exc:
        raise UsageError(f"diplowatch eval: {exc}") from None
    extractor = Extractor()
    started = time.perf_counter()
    predictions = [
        [e.to_record() for e in events]
        for events in extractor.extract_many(
            ArticleInput(c.text, c.published, c.lang if c.lang in ("en", "fr") else None, key=c.id) for c in cases
        )
    ]
    report = score(cases, predictions)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{path.name}: {len(cases)} cases in {time.perf_counter() - started:.1f}s")
    for col in ("event_type", "gold", "predicted", "matched", "precision", "recall", "f1"):
        table.add_column(col, justify="right" if col != "event_type" else "left")
    for code, s in sorted(report.by_type.items()):
        p, r, f = s.prf()
        table.add_row(code, str(s.gold), str(s.predicted), str(s.matched), f"{p:.3f}", f"{r:.3f}", f"{f:.3f}")
    Console(stderr=False).print(table)
    print(report.overall_line(), flush=True)
    return 0


# -------------------------------------------------------------------- fetch
def cmd_fetch(args: argparse.Namespace) -> int:
    from diplowatch.pipeline.ingest import fetch_records

    for record in fetch_records(args.urls):
        if args.json:
            print(json.dumps(record, ensure_ascii=False, default=str), flush=True)
        elif "error" in record:
            print(f"ERROR {record['url']}: {record['error']}", flush=True)
        else:
            print(f"{record.get('published') or '----------'}  {record.get('lang') or '--'}  "
                  f"{record.get('text_length', 0):>6} chars  {record.get('title') or ''}  <{record['canonical_url']}>",
                  flush=True)
    return 0


# ----------------------------------------------------------------------- db
def cmd_db(args: argparse.Namespace) -> int:
    from diplowatch.warehouse import db, migrate

    if args.db_command == "stop":
        from diplowatch.warehouse.embedded import stop_embedded

        print("embedded PostgreSQL stopped" if stop_embedded() else "embedded PostgreSQL was not running")
        return 0
    url = db.resolve_url()
    with db.connection(url) as conn:
        if args.db_command == "migrate":
            applied = migrate.migrate(conn)
            print(f"warehouse: {db.describe(url)}")
            print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
            return 0
        if args.db_command == "url":
            print(url)
            return 0
        status = migrate.status(conn)
    if args.json:
        print(json.dumps({"migrations": status["migrations"], "tables": status["tables"],
                          "pending": status["pending"], "failing_sources": status.get("failing_sources", [])}))
        return 0
    print(f"warehouse: {db.describe(url)}")
    print(f"migrations applied: {len(status['migrations'])}" + (
        f"  (pending: {', '.join(status['pending'])})" if status["pending"] else ""))
    for name in status["migrations"]:
        print(f"  {name}")
    print("tables:")
    for table, n in status["tables"].items():
        print(f"  {table:<16} {n:>8}")
    for s in status.get("failing_sources", []):
        print(f"FAILING SOURCE {s['source']}: {s['consecutive_failures']} runs in a row — {s['last_error']}")
    return 0


# --------------------------------------------------------------- quarantine
def cmd_quarantine(args: argparse.Namespace) -> int:
    from diplowatch.pipeline.extract import list_quarantine, reprocess_quarantine

    if args.q_command == "list":
        rows = list_quarantine(limit=args.limit)
        for r in rows:
            print(json.dumps(r, ensure_ascii=False, default=str) if args.json else
                  f"{r['quarantine_id']:>6} {r['entity']:<8} {r['entity_id'][:16]}  {r['reason']}")
        if not args.json:
            print(f"{len(rows)} unresolved row(s)")
        return 0
    result = reprocess_quarantine()
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------- demo / up
def cmd_demo(args: argparse.Namespace) -> int:
    from diplowatch.pipeline.demo import run_demo

    return run_demo()


def cmd_dags(args: argparse.Namespace) -> int:
    """Run one DAG run in this process with dag.test() (Airflow configured by the environment)."""
    from diplowatch.pipeline.demo import run_dag

    kwargs: dict[str, Any] = {}
    if args.no_logical_date:  # as manual and asset-triggered runs are in Airflow 3
        kwargs["logical_date"] = None
    elif args.logical_date is not None:  # the same date again reruns the same DAG run
        kwargs["logical_date"] = args.logical_date
    if args.mark_success_pattern:
        kwargs["mark_success_pattern"] = args.mark_success_pattern
    state = run_dag(args.dag_id, **kwargs)
    print(f"{args.dag_id}: {state}", flush=True)
    return 0 if state.endswith("success") else 1


def cmd_up(args: argparse.Namespace) -> int:
    from diplowatch.pipeline.demo import run_up

    return run_up(port=args.port)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="diplowatch", description="Diplomatic events from news, through Airflow, into PostgreSQL.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("extract", help="extract events from text or HTML files")
    e.add_argument("files", nargs="+", metavar="FILE", help="text or HTML file; - for stdin")
    e.add_argument("--published", type=_iso_date, help="publication date, the anchor for relative dates")
    e.add_argument("--lang", choices=("auto", "en", "fr"), default="auto")
    e.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    e.set_defaults(func=cmd_extract)

    v = sub.add_parser("eval", help="score the extractor on annotated cases")
    v.add_argument("cases", metavar="CASES.jsonl")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_eval)

    f = sub.add_parser("fetch", help="fetch feeds or pages as the ingest DAG does, without a database")
    f.add_argument("urls", nargs="+", metavar="URL")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_fetch)

    d = sub.add_parser("db", help="the warehouse: migrate, status, stop")
    dsub = d.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    dsub.add_parser("migrate", help="apply pending sql/ migrations")
    st = dsub.add_parser("status", help="migrations applied and row counts")
    st.add_argument("--json", action="store_true")
    dsub.add_parser("stop", help="stop the embedded PostgreSQL server")
    dsub.add_parser("url", help="print the warehouse URL in use")
    d.set_defaults(func=cmd_db, json=False)

    q = sub.add_parser("quarantine", help="rows that failed validation")
    qsub = q.add_subparsers(dest="q_command", required=True, parser_class=_Parser)
    ql = qsub.add_parser("list", help="unresolved quarantined rows")
    ql.add_argument("--limit", type=int, default=100)
    ql.add_argument("--json", action="store_true")
    qsub.add_parser("reprocess", help="validate quarantined rows again and load those that now pass")
    q.set_defaults(func=cmd_quarantine)

    dm = sub.add_parser("demo", help="run both DAGs once over the bundled sample feeds and show the result")
    dm.set_defaults(func=cmd_demo)
    dg = sub.add_parser("dags", help="run a DAG once in this process (dag.test), for scripts and tests")
    dgsub = dg.add_subparsers(dest="dags_command", required=True, parser_class=_Parser)
    dgt = dgsub.add_parser("test", help="one DAG run with dag.test()")
    dgt.add_argument("dag_id", choices=("news_ingest", "event_extract"))
    when = dgt.add_mutually_exclusive_group()
    when.add_argument("--logical-date", type=_iso_datetime, metavar="ISO8601",
                      help="logical date of the run (default: now); the same date again reruns that run")
    when.add_argument("--no-logical-date", action="store_true",
                      help="a run without a logical date, like a manual or asset-triggered run in Airflow 3")
    dgt.add_argument("--mark-success-pattern", metavar="REGEX",
                     help="task ids to mark successful instead of running (dag.test's mark_success_pattern)")
    dg.set_defaults(func=cmd_dags)
    up = sub.add_parser("up", help="start Airflow (api-server, scheduler, dag-processor, triggerer)")
    up.add_argument("--port", type=int, default=8080)
    up.set_defaults(func=cmd_up)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("DIPLOWATCH_LOG_LEVEL", "WARNING"),
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except UsageError as exc:
        _stderr(str(exc).splitlines()[0])
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        _stderr("diplowatch: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
