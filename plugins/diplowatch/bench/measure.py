"""The in-process measurements: extraction vs bare spaCy, warehouse load vs raw COPY, ingest over HTTP.

Rules that keep the ratios honest:
- ours and the baseline run in the same process, on the same inputs, after the
  same warm-up (models loaded, a few documents of each language through them);
- only the loops are timed; each side runs `reps` times, alternating (ours,
  baseline, ours, baseline, …) so that a burst of load from other jobs on the
  machine hits both, and the best time of each side is kept (the least
  disturbed run: noise only ever adds time);
- a garbage collection before each timed loop, so one side does not pay for
  the other's garbage.
"""

from __future__ import annotations

import gc
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from diplowatch.bench.corpus import PLACEHOLDER_BASE, BenchArticle, article_rows, render_page, server_pages

if TYPE_CHECKING:
    from diplowatch.events.model import Event

Progress = Callable[[str], None]
BENCH_SOURCE = "bench-corpus"


# ------------------------------------------------------------------ extraction


class _FailureCounter(logging.Handler):
    """Counts the documents the Extractor gave up on (it logs and returns no events for them).

    A benchmark of an extractor that fails on some documents measures a shortcut,
    not the extractor: the count is reported and makes the run invalid.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            exc = record.exc_info[1] if record.exc_info else None
            self.first = f"{record.getMessage()}: {type(exc).__name__}: {exc}" if exc else record.getMessage()


@dataclass
class ExtractMeasure:
    articles: int
    words: int
    batch_size: int
    n_process: int
    models: dict[str, str]
    ours_components: dict[str, list[str]]
    base_components: dict[str, list[str]]
    ours_s: list[float] = field(default_factory=list)
    base_s: list[float] = field(default_factory=list)
    events: int = 0
    failures: int = 0
    first_failure: str | None = None
    pairs: list[tuple[str, Event]] = field(default_factory=list, repr=False)

    @property
    def ours_aps(self) -> float:
        return self.articles / min(self.ours_s)

    @property
    def base_aps(self) -> float:
        return self.articles / min(self.base_s)

    @property
    def ratio(self) -> float:
        return self.ours_aps / self.base_aps


def _inputs(corpus: Sequence[BenchArticle]) -> list[Any]:
    from diplowatch.events.extract import ArticleInput

    # As process_batch builds them: the stored language, the publication day, the article id as key.
    return [ArticleInput(text=a.text, published=date.fromisoformat(a.published), lang=a.lang, key=a.article_id,
                         url=a.canonical_url) for a in corpus]


def measure_extraction(corpus: Sequence[BenchArticle], reps: int, progress: Progress) -> ExtractMeasure:
    """Extractor().extract_many over the corpus vs spacy.load(name).pipe over the same texts."""
    import spacy

    from diplowatch.events.extract import Extractor
    from diplowatch.nlp.pipelines import get_pipeline, model_name
    from diplowatch.settings import get_settings

    s = get_settings().extract
    langs = sorted({a.lang for a in corpus})
    models = {lang: model_name(lang) or "" for lang in langs}
    counter = _FailureCounter()
    extract_log = logging.getLogger("diplowatch.events.extract")
    extract_log.addHandler(counter)
    extract_log.propagate = False  # one summary line instead of a traceback per document

    extractor = Extractor(batch_size=s.batch_size)  # what pipeline.extract.extractor() builds for the DAG
    # The baseline pipes with the n_process the Extractor really uses: today it never passes one to
    # nlp.pipe (so 1), whatever extract.n_process says; should it start to, this follows.
    n_process = int(getattr(extractor, "n_process", 1))
    if n_process != s.n_process:
        progress(f"extract: note: config says n_process={s.n_process} but the Extractor pipes with "
                 f"{n_process}; the baseline uses {n_process} too")
    inputs = _inputs(corpus)
    by_lang = {lang: [a.text for a in corpus if a.lang == lang] for lang in langs}

    progress(f"extract: loading models {', '.join(f'{k}={v}' for k, v in models.items())} (ours: without "
             "the components diplowatch excludes; baseline: spacy.load(name) as is)")
    base = {}
    for lang in langs:
        get_pipeline(lang)
        base[lang] = spacy.load(models[lang])
    # Warm-up: a few documents of each language through both, so that lazy loads (gazetteer matchers,
    # lexicons, date parser, vector tables) happen before the clock starts.
    warm = [x for lang in langs for x in [i for i in inputs if i.lang == lang][:4]]
    list(extractor.extract_many(warm))
    for lang in langs:
        for _ in base[lang].pipe(by_lang[lang][:4], batch_size=s.batch_size, n_process=n_process):
            pass
    result = ExtractMeasure(
        articles=len(corpus), words=sum(a.words for a in corpus), batch_size=s.batch_size, n_process=n_process,
        models=models, ours_components={lang: list(get_pipeline(lang).pipe_names) for lang in langs},
        base_components={lang: list(base[lang].pipe_names) for lang in langs},
    )
    for rep in range(1, reps + 1):
        counter.count = 0
        gc.collect()
        t0 = time.perf_counter()
        pairs: list[tuple[str, Event]] = []
        for inp, events in zip(inputs, extractor.extract_many(inputs), strict=True):
            pairs.extend((inp.key, ev) for ev in events)
        result.ours_s.append(time.perf_counter() - t0)
        result.pairs, result.events, result.failures = pairs, len(pairs), counter.count
        progress(f"extract: ours run {rep}/{reps}: {result.ours_s[-1]:.1f}s "
                 f"({len(corpus) / result.ours_s[-1]:.1f} articles/s, {len(pairs)} events)")
        gc.collect()
        t0 = time.perf_counter()
        for lang in langs:
            for _ in base[lang].pipe(by_lang[lang], batch_size=s.batch_size, n_process=n_process):
                pass
        result.base_s.append(time.perf_counter() - t0)
        progress(f"extract: bare spaCy run {rep}/{reps}: {result.base_s[-1]:.1f}s "
                 f"({len(corpus) / result.base_s[-1]:.1f} articles/s)")
    result.first_failure = counter.first
    extract_log.removeHandler(counter)
    extract_log.propagate = True
    return result


# ------------------------------------------------------------------------ load


@dataclass
class LoadMeasure:
    pairs: int  # (article, event) pairs the extraction gave
    rows: int  # rows loaded per run (pairs x replicas)
    replicas: int
    chunks: int
    ours_s: list[float] = field(default_factory=list)
    base_s: list[float] = field(default_factory=list)
    events_new: int = 0
    mentions_new: int = 0
    merged: int = 0
    # rows/s of load_events on the first and the last batch of the best run: the events
    # table grows during the run, and so does the cost of matching new rows against it.
    first_batch_rps: float = 0.0
    last_batch_rps: float = 0.0

    @property
    def ours_rps(self) -> float:
        return self.rows / min(self.ours_s) if self.ours_s else 0.0

    @property
    def base_rps(self) -> float:
        return self.rows / min(self.base_s) if self.base_s else 0.0

    @property
    def ratio(self) -> float:
        return self.ours_rps / self.base_rps if self.base_rps else 0.0


def _shift_years(value: str | None, years: int) -> str | None:
    """'2024-02-29' moved `years` back, day clamped to 28 in February; None stays None."""
    if not value or not value[:4].isdigit():
        return value
    y = int(value[:4]) - years
    rest = value[4:]
    if rest.startswith("-02-29"):
        rest = "-02-28" + rest[6:]
    return f"{y:04d}{rest}"


def replicate(pairs: Sequence[tuple[str, Event]], replica: int) -> list[tuple[str, Event]]:
    """Copy `replica` (>= 1) of the events: distinct ids, dates and publication moved `replica` years back.

    Same articles (the foreign keys hold), same texts; the year shift puts every copy
    outside the dedup windows of the others, so each copy founds its own events as the
    original does instead of merging into it.
    """
    import hashlib

    out = []
    for article_id, ev in pairs:
        new_id = hashlib.sha256(f"{ev.event_id}:{replica}".encode()).hexdigest()[:32]
        out.append((article_id, replace(ev, event_id=new_id, event_date=_shift_years(ev.event_date, replica),
                                        published=_shift_years(ev.published, replica))))
    return out


def _raw_rows(chunk: Sequence[tuple[str, Event]], window_days: int) -> list[list[Any]]:
    """The baseline's rows: EVENT_COLUMNS as load_events stores them, computed before the clock starts."""
    from diplowatch.warehouse.load import EVENT_COLUMNS, match_window

    rows = []
    today = date.today()
    for article_id, ev in chunk:
        lo, hi = match_window(ev, window_days, today)
        rec = ev.to_record()
        day = None
        if ev.event_date:
            parts = ev.event_date.split("-")
            try:
                day = date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
            except (ValueError, IndexError):
                day = None
        rec.update(article_id=article_id, event_day=day, match_from=lo, match_to=hi)
        rows.append([rec.get(c) for c in EVENT_COLUMNS])
    return rows


def _article_batches(pairs: Sequence[tuple[str, Event]], position: dict[str, int],
                     articles_per_batch: int) -> list[list[tuple[str, Event]]]:
    """The pairs cut as the DAG cuts them: the events of each run of `articles_per_batch` articles."""
    chunks: dict[int, list[tuple[str, Event]]] = {}
    for article_id, ev in pairs:
        chunks.setdefault(position[article_id] // articles_per_batch, []).append((article_id, ev))
    return [chunks[k] for k in sorted(chunks)]


def measure_load(url: str, corpus: Sequence[BenchArticle], pairs: Sequence[tuple[str, Event]], min_rows: int,
                 reps: int, progress: Progress) -> LoadMeasure:
    """load.load_events (one call and one commit per DAG batch) vs copy_rows of the same rows and chunks."""
    from diplowatch.settings import get_settings
    from diplowatch.warehouse import db, load
    from diplowatch.warehouse.copy import copy_rows

    s = get_settings().extract
    replicas = max(1, math.ceil(min_rows / len(pairs))) if pairs else 0
    result = LoadMeasure(pairs=len(pairs), rows=len(pairs) * replicas, replicas=replicas, chunks=0)
    if not pairs:
        progress("load: no events extracted, nothing to load (load_ratio reported as 0)")
        return result
    per_batch = s.articles_per_batch  # plan_batches' default batch: the articles one extract_batch task gets
    position = {a.article_id: i for i, a in enumerate(corpus)}
    chunks: list[list[tuple[str, Event]]] = []
    for r in range(replicas):
        chunks.extend(_article_batches(pairs if r == 0 else replicate(pairs, r), position, per_batch))
    raw_chunks = [_raw_rows(c, s.dedup_window_days) for c in chunks]
    result.chunks = len(chunks)

    conn = db.connect(url)
    try:
        load.upsert_sources(conn, [(BENCH_SOURCE, f"{PLACEHOLDER_BASE}/bench/feed.rss", "feed", None)])
        load.upsert_articles(conn, article_rows(corpus, BENCH_SOURCE))
        cols = ", ".join(load.EVENT_COLUMNS)
        with conn.cursor() as cur:
            # CREATE TABLE AS copies column types only: no NOT NULL, no keys, no indexes, no foreign keys.
            cur.execute(f"CREATE TABLE bench_raw_events AS SELECT {cols} FROM events WITH NO DATA")
            cur.execute("ANALYZE articles")
        conn.commit()

        def reset() -> None:
            with conn.cursor() as cur:
                cur.execute("TRUNCATE event_mentions, events, bench_raw_events CASCADE")
            conn.commit()

        # Warm-up: the first call creates the staging table and plans the statements.
        load.load_events(conn, chunks[0][:8], window_days=s.dedup_window_days)
        with conn.cursor() as cur:
            copy_rows(cur, "bench_raw_events", load.EVENT_COLUMNS, raw_chunks[0][:8])
        conn.commit()
        for rep in range(1, reps + 1):
            reset()
            gc.collect()
            new = mentions = merged = 0
            per_chunk: list[float] = []
            t0 = time.perf_counter()
            for chunk in chunks:
                t1 = time.perf_counter()
                res = load.load_events(conn, chunk, window_days=s.dedup_window_days)
                conn.commit()
                per_chunk.append(time.perf_counter() - t1)
                new, mentions, merged = new + res.events_new, mentions + res.mentions_new, merged + res.events_merged
            result.ours_s.append(time.perf_counter() - t0)
            if result.ours_s[-1] == min(result.ours_s):
                result.first_batch_rps = len(chunks[0]) / per_chunk[0]
                result.last_batch_rps = len(chunks[-1]) / per_chunk[-1]
            result.events_new, result.mentions_new, result.merged = new, mentions, merged
            progress(f"load: load_events run {rep}/{reps}: {result.ours_s[-1]:.2f}s "
                     f"({result.rows / result.ours_s[-1]:,.0f} rows/s; {new} events, {mentions} mentions)")
            gc.collect()
            t0 = time.perf_counter()
            for raw in raw_chunks:
                with conn.cursor() as cur:
                    copy_rows(cur, "bench_raw_events", load.EVENT_COLUMNS, raw)
                conn.commit()
            result.base_s.append(time.perf_counter() - t0)
            progress(f"load: raw COPY run {rep}/{reps}: {result.base_s[-1]:.2f}s "
                     f"({result.rows / result.base_s[-1]:,.0f} rows/s)")
        if result.mentions_new != result.rows:
            progress(f"load: WARNING {result.mentions_new} mentions stored for {result.rows} rows")
    finally:
        conn.close()
    return result


# ---------------------------------------------------------------------- ingest


@dataclass
class IngestMeasure:
    pages: int
    fetched: int
    stored: int
    duplicates: int
    errors: int
    seconds: float
    per_host_concurrency: int
    first_error: str | None = None

    @property
    def aps(self) -> float:
        return self.stored / self.seconds if self.seconds else 0.0


def measure_ingest(url: str, corpus: Sequence[BenchArticle], progress: Progress) -> IngestMeasure:
    """ingest_source over a feed of the corpus pages served by SampleServer on 127.0.0.1.

    The ingest's own code path (feed, fetch_many, parse_article, dedup, upsert), with two
    settings changed for the benchmark: no politeness delay between two requests to the one
    host (per_host_delay_s=0; a real site gets 1 s), and no cap on articles per source.
    """
    from diplowatch.parse.articles import parse_article
    from diplowatch.pipeline.ingest import ingest_source
    from diplowatch.settings import get_settings
    from diplowatch.sources.config import Source
    from diplowatch.sources.sample_server import SampleServer

    base = get_settings()
    settings = replace(
        base,
        http=replace(base.http, per_host_delay_s=0.0, allow_hosts=(*base.http.allow_hosts, "127.0.0.1")),
        ingest=replace(base.ingest, max_articles_per_source=len(corpus),
                       max_feed_entries=max(base.ingest.max_feed_entries, len(corpus))),
    )
    # Warm-up: trafilatura, htmldate and the language identifier load on first use.
    parse_article(render_page(corpus[0]), corpus[0].canonical_url, "text/html; charset=utf-8")
    with SampleServer(extra=server_pages(corpus)) as server:
        source = Source(name=BENCH_SOURCE, url=f"{server.base_url}/bench/feed.rss", kind="feed", lang=None,
                        group="bench")
        gc.collect()
        t0 = time.perf_counter()
        summary = ingest_source(source, run_key="bench", settings=settings, db_url=url)
        seconds = time.perf_counter() - t0
    result = IngestMeasure(pages=len(corpus), fetched=summary.fetched, stored=summary.new,
                           duplicates=summary.duplicates, errors=len(summary.errors), seconds=seconds,
                           per_host_concurrency=settings.http.per_host_concurrency,
                           first_error=summary.errors[0]["error"] if summary.errors else None)
    progress(f"ingest: {result.stored} articles stored from {result.fetched} pages in {seconds:.1f}s "
             f"({result.aps:.1f} articles/s; {result.duplicates} flagged duplicates, {result.errors} errors)")
    return result
