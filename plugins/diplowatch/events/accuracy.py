"""Per-language, per-type scores on our annotated cases, as Markdown for docs/ACCURACY.md.

    python -m diplowatch.events.accuracy tests/data/dev.jsonl tests/data/holdout.jsonl

prints one table per file and language (the same scoring as `diplowatch eval`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from diplowatch.events.evaluate import read_cases, score
from diplowatch.events.extract import ArticleInput, Extractor


def tables(paths: list[Path]) -> str:
    extractor = Extractor()
    out: list[str] = []
    for path in paths:
        cases = read_cases(path)
        for lang in sorted({c.lang or "?" for c in cases}):
            subset = [c for c in cases if (c.lang or "?") == lang]
            predictions = [
                [e.to_record() for e in events]
                for events in extractor.extract_many(
                    ArticleInput(c.text, c.published, c.lang, key=c.id) for c in subset)
            ]
            report = score(subset, predictions)
            o = report.overall()
            out.append(f"### {path.name} — {lang} ({o['cases']} cases)\n")
            out.append(f"Overall: precision {o['precision']:.3f}, recall {o['recall']:.3f}, **F1 {o['f1']:.3f}**, "
                       f"date accuracy {o['date_acc']:.3f}, status accuracy {o['status_acc']:.3f}.\n")
            out.append("| event_type | gold | predicted | P | R | F1 |")
            out.append("|---|---:|---:|---:|---:|---:|")
            for code, s in sorted(report.by_type.items()):
                p, r, f = s.prf()
                out.append(f"| {code} | {s.gold} | {s.predicted} | {p:.2f} | {r:.2f} | {f:.2f} |")
            out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not args:
        print("usage: python -m diplowatch.events.accuracy CASES.jsonl...", file=sys.stderr)
        return 2
    print(tables([Path(a) for a in args]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
