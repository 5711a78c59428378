"""The benchmark behind `make bench`: how fast diplowatch is next to the bare tools it is built on.

Four figures, each measured in one run on one generated corpus (see
docs/BENCHMARKS.md for the method and the latest figures):
extract_ratio (our extraction ÷ bare spaCy), load_ratio (our warehouse load ÷
raw COPY), e2e_articles_per_s (the event_extract DAG end to end) and ingest
throughput over HTTP, plus the extraction worker's peak memory.
"""

from __future__ import annotations

from diplowatch.bench.run import main

__all__ = ["main"]
