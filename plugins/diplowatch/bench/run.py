"""`python -m diplowatch.bench [--articles N] [--quick]` (make bench): every stage in order, then the report.

Stages: corpus → extraction vs bare spaCy → load vs raw COPY → the event_extract DAG
end to end → ingest over HTTP. Progress goes to stderr, the table and the contract
line to stdout. Exit status 0 when the figures are valid; 1 when a stage failed (no
figures) or when they are invalid, e.g. the extractor gave up on documents (the
line is still printed, the table flags them INVALID, and docs/BENCHMARKS.md keeps
its previous figures unless --write-docs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from diplowatch.settings import project_root

DEFAULT_ARTICLES = 1000
QUICK_ARTICLES = 20
MIN_LOAD_ROWS = 10_000
QUICK_MIN_LOAD_ROWS = 2_000


class _Clock:
    """Progress lines on stderr, stamped with the seconds since the start."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def __call__(self, message: str) -> None:
        print(f"[bench {self.elapsed():6.1f}s] {message}", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m diplowatch.bench",
        description="Benchmark diplowatch: extraction vs bare spaCy, warehouse load vs raw COPY, the "
                    "event_extract DAG end to end, ingest over HTTP. See docs/BENCHMARKS.md.",
    )
    p.add_argument("--articles", type=int, default=None, metavar="N",
                   help=f"corpus size (default {DEFAULT_ARTICLES}; {QUICK_ARTICLES} with --quick)")
    p.add_argument("--quick", action="store_true",
                   help=f"a smoke run: {QUICK_ARTICLES} articles unless --articles says otherwise, fewer load "
                        "rows, docs/BENCHMARKS.md left alone")
    p.add_argument("--reps", type=int, default=2, help="timed runs of each side of a ratio, best kept (min 2)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where the corpus cache, embedded PostgreSQL, Airflow home and logs go "
                        "(default $DIPLOWATCH_BENCH_DIR or .bench/)")
    p.add_argument("--write-docs", action="store_true",
                   help="write docs/BENCHMARKS.md even for a --quick run or invalid figures")
    p.add_argument("--no-docs", action="store_true", help="never write docs/BENCHMARKS.md")
    p.add_argument("--keep-server", action="store_true", help="leave the embedded PostgreSQL running at the end")
    return p


def _corpus_stats(corpus: Sequence, generator: str) -> dict:
    words = [a.words for a in corpus]
    return {"articles": len(corpus), "en": sum(a.lang == "en" for a in corpus),
            "fr": sum(a.lang == "fr" for a in corpus), "words": sum(words), "mean_words": statistics.mean(words),
            "min_words": min(words), "max_words": max(words), "generator": generator}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 = valid figures, 1 = invalid figures or a failed stage, 2 = bad arguments."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args, argv)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a failed stage: the traceback for whoever debugs it, then one line; no figures
        traceback.print_exc(file=sys.stderr)
        print(f"bench: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    n = args.articles or (QUICK_ARTICLES if args.quick else DEFAULT_ARTICLES)
    if n < 2:
        print("bench: --articles must be at least 2 (one English, one French)", file=sys.stderr)
        return 2
    reps = max(2, args.reps)
    workdir = (args.workdir or Path(os.environ.get("DIPLOWATCH_BENCH_DIR") or project_root() / ".bench")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    # The bench's own state directory (quality reports, raw archive): never the user's .diplowatch/.
    home = workdir / "home"
    os.environ["DIPLOWATCH_HOME"] = str(home)
    command = "python -m diplowatch.bench" + "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    clock = _Clock()

    from diplowatch.bench import corpus as corpus_mod
    from diplowatch.bench import machine
    from diplowatch.bench.database import open_server
    from diplowatch.bench.e2e import measure_e2e
    from diplowatch.bench.measure import measure_extraction, measure_ingest, measure_load
    from diplowatch.bench.report import BenchResults, print_table, write_json, write_markdown

    info = machine.machine_info()
    clock(f"{n} articles{' (quick)' if args.quick else ''}; {info['nproc']} CPUs, load average "
          f"{info['loadavg_start']}; workdir {workdir}")
    stages: dict[str, float] = {}
    mark = clock.elapsed()

    def stage_done(name: str) -> None:
        nonlocal mark
        stages[name] = clock.elapsed() - mark
        mark = clock.elapsed()

    corpus, reused = corpus_mod.load_or_generate(n, workdir)
    stats = _corpus_stats(corpus, corpus_mod.generator_version())
    clock(f"corpus: {stats['en']} en + {stats['fr']} fr articles, {stats['words']:,} words "
          f"({'reused' if reused else 'generated'} {workdir / f'corpus-{n}.jsonl'})")
    stage_done("corpus")

    extract = measure_extraction(corpus, reps, clock)
    stage_done("extraction")
    # What is left: the DAG run extracts the corpus once more (plus models, GX, Airflow start-up), the
    # load and the ingest scale with N. A rough projection, so that the operator knows what is coming.
    projected = clock.elapsed() + 1.5 * min(extract.ours_s) + 0.05 * n + 60
    clock(f"extract: done; whole run projected at roughly {projected / 60:.0f} min")
    problems: list[str] = []
    if extract.failures:
        problems.append(f"the extractor failed on {extract.failures} of {n} articles (it logs the error and "
                        f"returns no events for them), so it skipped work: {extract.first_failure}")
        clock(f"WARNING: {problems[-1]}")

    server = open_server(workdir)
    try:
        pg_version = server.server_version()
        where = f"embedded, {server.embedded_pgdata}" if server.embedded_pgdata else "the DIPLOWATCH_DB_URL server"
        clock(f"PostgreSQL {pg_version} ({where}), database {server.dbname}")
        load = measure_load(server.fresh_database(), corpus, extract.pairs,
                            QUICK_MIN_LOAD_ROWS if args.quick else MIN_LOAD_ROWS, reps, clock)
        stage_done("load")
        if not extract.pairs:
            problems.append("no events were extracted, so nothing was loaded (load_ratio=0)")
        e2e = measure_e2e(server, corpus, workdir, home, clock)
        stage_done("e2e")
        if e2e.extraction_failures:
            problems.append(f"the extractor failed on {e2e.extraction_failures} articles inside the DAG run")
        ingest = measure_ingest(server.fresh_database(), corpus, clock)
        stage_done("ingest")
        if ingest.errors:
            problems.append(f"the ingest had {ingest.errors} errors, first: {ingest.first_error}")
    finally:
        if not args.keep_server:
            server.stop()

    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res = BenchResults(command=command, quick=args.quick, started=started, seconds=clock.elapsed(), articles=n,
                       corpus=stats, extract=extract, load=load, e2e=e2e, ingest=ingest, machine=info,
                       versions=machine.versions(extract.models, pg_version), reps=reps, stages=stages,
                       problems=problems)
    write_json(res, workdir / f"results-{n}.json")
    # Invalid figures never replace the reference ones unless asked to (--write-docs).
    write_docs = not args.no_docs and (args.write_docs or (not args.quick and not problems))
    if write_docs:
        write_markdown(res, project_root() / "docs" / "BENCHMARKS.md")
    clock(f"done in {res.seconds:.0f}s; results in {workdir / f'results-{n}.json'}"
          + ("; docs/BENCHMARKS.md written" if write_docs else ""))
    print_table(res)
    sys.stdout.flush()
    print(res.contract_line(), flush=True)  # the LAST line on stdout (CONTRACT §1)
    return 1 if problems else 0
