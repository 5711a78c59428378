"""The benchmark's outputs: the table on stdout, docs/BENCHMARKS.md, results JSON and the contract line.

CONTRACT §1: the LAST line on stdout is exactly
`bench extract_ratio=R load_ratio=R e2e_articles_per_s=N articles=N`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diplowatch.bench.e2e import E2EMeasure
from diplowatch.bench.measure import ExtractMeasure, IngestMeasure, LoadMeasure

REFERENCE_ARTICLES = 1000  # the size of the reference run (make bench)


@dataclass
class BenchResults:
    command: str
    quick: bool
    started: str  # ISO timestamp (UTC)
    seconds: float
    articles: int
    corpus: dict[str, Any]
    extract: ExtractMeasure
    load: LoadMeasure
    e2e: E2EMeasure
    ingest: IngestMeasure
    machine: dict[str, Any]
    versions: dict[str, Any]
    reps: int
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds of each stage, setup included
    problems: list[str] = field(default_factory=list)  # anything that makes the figures invalid

    @property
    def provisional(self) -> bool:
        """A quick or small run: fine to check the harness, not the reference figures."""
        return self.quick or self.articles < REFERENCE_ARTICLES

    def contract_line(self) -> str:
        return (f"bench extract_ratio={self.extract.ratio:.2f} load_ratio={self.load.ratio:.2f} "
                f"e2e_articles_per_s={self.e2e.aps:.2f} articles={self.articles}")

    def figures(self) -> list[tuple[str, str, str]]:
        """(figure, value, how it was obtained) rows shared by the table and the Markdown."""
        x, ld, e, g = self.extract, self.load, self.e2e, self.ingest
        langs = ", ".join(f"{k}: {v}" for k, v in x.models.items())
        e2e_how = (f"{e.articles} articles ÷ {e.wall_s:.1f}s wall time of the event_extract dag.test() child; "
                   f"{e.batches} mapped batch(es), {e.events_extracted:,} events extracted, "
                   f"{e.events_quarantined:,} quarantined, {e.mentions_new:,} loaded")
        if e.dagrun_s is not None and e.startup_s is not None:
            e2e_how += f" (DAG run {e.dagrun_s:.1f}s, process start and Airflow import {e.startup_s:.1f}s)"
        rows = [
            ("extract_ratio", f"{x.ratio:.2f}",
             f"ours {x.ours_aps:.2f} articles/s ({x.words / min(x.ours_s):,.0f} words/s) ÷ bare spaCy "
             f"{x.base_aps:.2f} articles/s ({x.words / min(x.base_s):,.0f} words/s); best of {len(x.ours_s)} "
             f"each; models {langs}; batch_size {x.batch_size}, n_process {x.n_process}"),
            ("  extraction, ours", f"{x.ours_aps:.2f} articles/s",
             f"Extractor().extract_many, all rules, actors, dates: {x.events} events from {x.articles} articles; "
             f"runs {', '.join(f'{t:.1f}s' for t in x.ours_s)}"),
            ("  bare spaCy nlp.pipe", f"{x.base_aps:.2f} articles/s",
             f"spacy.load(name) with its default components; runs {', '.join(f'{t:.1f}s' for t in x.base_s)}"),
            ("load_ratio", f"{ld.ratio:.2f}",
             f"load_events {ld.ours_rps:,.0f} rows/s ÷ raw COPY {ld.base_rps:,.0f} rows/s; {ld.rows:,} rows "
             f"({ld.pairs:,} extracted × {ld.replicas} copies) in {ld.chunks} batches, one commit each; "
             f"best of {len(ld.ours_s)} each"),
            ("  load_events", f"{ld.ours_rps:,.0f} rows/s",
             f"COPY into staging + upsert of events and mentions: {ld.events_new:,} events, "
             f"{ld.mentions_new:,} mentions, {ld.merged:,} merged; first batch {ld.first_batch_rps:,.0f} rows/s, "
             f"last batch {ld.last_batch_rps:,.0f} rows/s (the events table grows during the run); runs "
             f"{', '.join(f'{t:.2f}s' for t in ld.ours_s)}"),
            ("  raw COPY", f"{ld.base_rps:,.0f} rows/s",
             f"copy_rows into a table with no index, key or constraint; runs "
             f"{', '.join(f'{t:.2f}s' for t in ld.base_s)}"),
            ("e2e_articles_per_s", f"{e.aps:.2f}", e2e_how),
            ("  Airflow overhead share", f"{e.overhead_share:.0%}",
             f"1 − work inside process_batch ({e.work_s:.1f}s, sum of BatchSummary.seconds) ÷ {e.wall_s:.1f}s"),
            ("  extraction worker peak RSS", f"{e.peak_rss_mib:,.0f} MiB",
             "ru_maxrss of the dag.test process (os.wait4), which runs the tasks: models, GX, Airflow"),
            ("ingest", f"{g.aps:.2f} articles/s",
             f"ingest_source over an RSS feed of the {g.pages} pages served on 127.0.0.1 (SampleServer): "
             f"fetch (per_host_delay_s=0 for the bench, per_host_concurrency {g.per_host_concurrency}), "
             f"parse_article, dedup, store; {g.stored} stored, {g.duplicates} flagged duplicates, "
             f"{g.errors} errors in {g.seconds:.1f}s"),
        ]
        return rows


def print_table(res: BenchResults) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 140)
    title = f"diplowatch benchmark — {res.articles} articles" + (" (quick)" if res.quick else "")
    table = Table(title=title, show_lines=False)
    table.add_column("figure", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("how")
    for name, value, how in res.figures():
        table.add_row(name, value, how)
    console.print(table)
    m, v = res.machine, res.versions
    console.print(
        f"machine: {m['nproc']} CPUs usable ({m['cpus_total']} total), {m['ram_gib']} GiB RAM, {m['cpu_model']}; "
        f"load average {m['loadavg_start']} → {m['loadavg_end']}"
    )
    console.print(
        f"versions: Python {v['python']}, diplowatch {v['diplowatch']} ({v['commit'] or 'no git'}), "
        f"spaCy {v['spacy']} ({', '.join(v['models'].values())}), Airflow {v['airflow']}, "
        f"PostgreSQL {v['postgresql']}"
    )
    for problem in res.problems:
        console.print(f"[bold red]INVALID:[/] {problem}")


def write_json(res: BenchResults, path: Path) -> None:
    x, ld, e, g = res.extract, res.load, res.e2e, res.ingest
    doc = {
        "command": res.command, "quick": res.quick, "started": res.started, "seconds": round(res.seconds, 1),
        "articles": res.articles, "corpus": res.corpus, "reps": res.reps, "problems": res.problems,
        "stages_s": {k: round(v, 1) for k, v in res.stages.items()},
        "extract": {"ratio": x.ratio, "ours_articles_per_s": x.ours_aps, "base_articles_per_s": x.base_aps,
                    "ours_s": x.ours_s, "base_s": x.base_s, "events": x.events, "failures": x.failures,
                    "models": x.models, "ours_components": x.ours_components,
                    "base_components": x.base_components, "batch_size": x.batch_size, "n_process": x.n_process},
        "load": {"ratio": ld.ratio, "ours_rows_per_s": ld.ours_rps, "base_rows_per_s": ld.base_rps,
                 "rows": ld.rows, "replicas": ld.replicas, "chunks": ld.chunks, "ours_s": ld.ours_s,
                 "base_s": ld.base_s, "events_new": ld.events_new, "mentions_new": ld.mentions_new,
                 "first_batch_rows_per_s": ld.first_batch_rps, "last_batch_rows_per_s": ld.last_batch_rps},
        "e2e": {"articles_per_s": e.aps, "articles": e.articles, "wall_s": e.wall_s, "dagrun_s": e.dagrun_s,
                "work_s": e.work_s, "overhead_share": e.overhead_share, "batches": e.batches,
                "peak_rss_mib": e.peak_rss_mib, "state": e.state, "log": str(e.log_path),
                "events_extracted": e.events_extracted, "events_quarantined": e.events_quarantined,
                "mentions_new": e.mentions_new},
        "ingest": {"articles_per_s": g.aps, "stored": g.stored, "fetched": g.fetched, "errors": g.errors,
                   "duplicates": g.duplicates, "seconds": g.seconds, "per_host_delay_s": 0.0},
        "machine": res.machine, "versions": res.versions,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")


METHOD = """\
## How each figure is measured

All figures come from one run of `python -m diplowatch.bench`, on one corpus, on
one machine. The code is `plugins/diplowatch/bench/`.

- **Corpus.** N articles, alternately English and French, 300–1,200 words each
  (clipped log-normal, median ~520), generated with a fixed seed from the text of
  the bundled sample pages (`data/sample/articles/`, extracted with
  `parse_article`) recombined with template sentences
  (`plugins/diplowatch/bench/data/templates.yml`): diplomatic sentences with real
  leaders, capitals and time expressions, and ordinary news sentences with no
  event. Cached in `.bench/corpus-N.jsonl`, regenerated whenever the generator,
  the templates or the sample pages change.
- **extract_ratio** = articles/s of `Extractor().extract_many` (text → event
  records: parse, actors, all rules, dates, merge) ÷ articles/s of bare
  `spacy.load(name).pipe` with the same model names, the same language split,
  the same `batch_size` (from `config/diplowatch.yml`) and `n_process` (the
  one the Extractor uses: 1), and every component the model enables by
  default (diplowatch itself excludes `ner`, which it does not use — part of
  why it can be faster than the baseline).
  Models are loaded and a few documents of each language go through both
  before the clock starts; only the loops are timed; the two alternate, at
  least twice each, and the best time of each is kept.
- **load_ratio** = rows/s of `load.load_events` (the DAG's load: COPY into a
  staging table, drop mentions already loaded, match existing events, insert
  events and mentions, update mention counts) ÷ rows/s of `copy_rows` of the
  same rows (the events table's columns) into a table with no key, index or
  constraint, in the same database. A fresh database is migrated and the
  corpus articles inserted first (foreign keys). Both sides get the rows in the
  DAG's batches (the events of 256 consecutive articles) with one commit per
  batch. When the extraction gives fewer rows than the minimum for a stable
  timing (10,000; 2,000 with `--quick`), the events are copied with distinct
  ids and their dates and publication moved back one year per copy, so each
  copy founds its own events instead of merging into the original's.
  Events and mentions are emptied between runs.
- **e2e_articles_per_s** = articles ÷ wall seconds of one `event_extract` run
  with `dag.test()` in a child process (`python -m diplowatch.cli dags test
  event_extract`, as the tests run DAGs), over the corpus already stored as
  unprocessed articles. Setting up Airflow's metadata database is not timed.
  `extract.articles_per_run` is raised to N for this run so that one run takes
  the whole corpus. **Airflow overhead share** = 1 − (sum of the
  `BatchSummary.seconds` the mapped `extract_batch` tasks return, i.e. the time
  inside `process_batch`) ÷ that wall time; it includes process start, Airflow
  and DAG import and dag.test's scheduling loop.
- **Peak RSS** of the extraction worker = `ru_maxrss` of that child (the
  dag.test process runs the tasks in-process), from `os.wait4`.
- **Ingest** = articles stored per second by `ingest_source` polling an RSS
  feed of the corpus pages rendered as HTML and served by `SampleServer` on
  127.0.0.1: feed, page fetches, `parse_article`, duplicate checks, upsert.
  The politeness delay between two requests to one host is set to 0 for the
  benchmark (a Settings copy; real sites get `per_host_delay_s`, 1 s by
  default); concurrency per host stays as configured.
"""


KEEP_MARKER = "<!-- kept by make bench: measured elsewhere -->"


def write_markdown(res: BenchResults, path: Path) -> None:
    m, v = res.machine, res.versions
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{res.command}` on {res.started} (UTC) in {res.seconds:.0f} s. "
        "Each full run of `make bench` overwrites this file; `--quick` runs do not.",
        "",
    ]
    if res.provisional:
        lines += [f"> **Provisional figures from a small run** ({res.articles} articles instead of "
                  f"{REFERENCE_ARTICLES:,}): fixed costs (model loading, Airflow start-up) weigh far more than "
                  "in the reference run, so e2e_articles_per_s and the overhead share are pessimistic. They show "
                  "the harness works, not what diplowatch sustains; `make bench` on a quiet machine gives the "
                  "reference figures.", ""]
    for problem in res.problems:
        lines += [f"> **INVALID:** {problem}", ""]
    lines += ["| figure | value | how |", "|---|---:|---|"]
    for name, value, how in res.figures():
        label = name.strip()
        lines.append(f"| {'&nbsp;&nbsp;' if name.startswith('  ') else ''}{label} | {value} | {how} |")
    lines += [
        "",
        "Contract line (CONTRACT §1, the last line `make bench` prints):",
        "",
        "```",
        res.contract_line(),
        "```",
        "",
        "Wall time of each stage (setup included): "
        + ", ".join(f"{k} {v:.0f} s" for k, v in res.stages.items()) + ".",
        "",
        "## Machine",
        "",
        f"- CPUs: {m['nproc']} usable ({m['cpus_total']} total), {m['cpu_model']}",
        f"- RAM: {m['ram_gib']} GiB; kernel {m['kernel']}",
        f"- Load average (1, 5, 15 min) at start {m['loadavg_start']}, at end {m['loadavg_end']} "
        "— anything near the CPU count means other jobs shared the cores and the figures are low.",
        "",
        "## Versions",
        "",
        f"- Python {v['python']}, diplowatch {v['diplowatch']} (commit {v['commit'] or 'unknown'})",
        f"- spaCy {v['spacy']}; models: " + ", ".join(f"{k}: {val}" for k, val in v["models"].items()),
        f"- Apache Airflow {v['airflow']}, Great Expectations {v['great_expectations']}, "
        f"psycopg2 {v['psycopg2']}",
        f"- PostgreSQL server {v['postgresql']}",
        "",
        "## Corpus",
        "",
        f"- {res.corpus['articles']} articles ({res.corpus['en']} English, {res.corpus['fr']} French), "
        f"{res.corpus['words']:,} words (mean {res.corpus['mean_words']:.0f}, min {res.corpus['min_words']}, "
        f"max {res.corpus['max_words']}); generator `{res.corpus['generator']}`",
        "",
        METHOD,
        "## Reproduce",
        "",
        "```",
        "make bench                                   # = .venv/bin/python -m diplowatch.bench (1,000 articles)",
        ".venv/bin/python -m diplowatch.bench --quick  # 20 articles, about a minute, leaves this file alone",
        "```",
        "",
        "Everything the bench writes lives under `.bench/` (corpus cache, embedded PostgreSQL, Airflow home, "
        "logs, `results-N.json`). With `DIPLOWATCH_DB_URL` set it uses that server instead of an embedded one, "
        "in databases of its own (`dw_bench`, `dw_bench_airflow`), never the warehouse the URL names. "
        "See docs/SCALING.md for what the figures mean for a deployment.",
        "",
    ]
    # Sections measured by other means (the events page latency, by tests/ui) live below a marker
    # in the file and are kept from one run to the next.
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if KEEP_MARKER in old:
            kept = old[old.index(KEEP_MARKER):]
    path.write_text("\n".join(lines) + ("\n" + kept if kept else ""), encoding="utf-8")
