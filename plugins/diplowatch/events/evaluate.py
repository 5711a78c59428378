"""Scoring extracted events against annotated cases (CONTRACT section 4).

An extracted event matches a gold event of the same case when event_type,
source_country and target_country are equal (either order for symmetric
types); each gold event matches at most once. Date and status accuracy are
measured on the matched pairs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from diplowatch.events.taxonomy import event_types, is_symmetric


class CaseError(ValueError):
    """A case file line that cannot be used; the message names the line."""


@dataclass
class Case:
    id: str
    lang: str | None
    published: date | None
    text: str
    gold: list[dict[str, Any]]


@dataclass
class TypeScore:
    gold: int = 0
    predicted: int = 0
    matched: int = 0

    def prf(self) -> tuple[float, float, float]:
        p = self.matched / self.predicted if self.predicted else 0.0
        r = self.matched / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


@dataclass
class Report:
    by_type: dict[str, TypeScore] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)
    date_right: int = 0
    status_right: int = 0

    @property
    def total(self) -> TypeScore:
        t = TypeScore()
        for s in self.by_type.values():
            t.gold += s.gold
            t.predicted += s.predicted
            t.matched += s.matched
        return t

    def overall(self) -> dict[str, float | int]:
        t = self.total
        p, r, f = t.prf()
        return {
            "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
            "date_acc": round(self.date_right / t.matched, 3) if t.matched else 0.0,
            "status_acc": round(self.status_right / t.matched, 3) if t.matched else 0.0,
            "cases": len(self.cases),
        }

    def overall_line(self) -> str:
        o = self.overall()
        return (f"overall precision={o['precision']:.3f} recall={o['recall']:.3f} f1={o['f1']:.3f} "
                f"date_acc={o['date_acc']:.3f} status_acc={o['status_acc']:.3f} cases={o['cases']}")

    def to_json(self) -> dict[str, Any]:
        by_type = {}
        for code, s in sorted(self.by_type.items()):
            p, r, f = s.prf()
            by_type[code] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
                             "gold": s.gold, "predicted": s.predicted}
        return {"overall": self.overall(), "by_type": by_type, "cases": self.cases}


def read_cases(path: Path) -> list[Case]:
    """Parse a CASES.jsonl file; raises CaseError naming the bad line."""
    cases = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                published = raw.get("published")
                cases.append(Case(
                    id=str(raw.get("id", f"line-{n}")),
                    lang=raw.get("lang"),
                    published=date.fromisoformat(published[:10]) if published else None,
                    text=str(raw["text"]),
                    gold=list(raw.get("events") or []),
                ))
            except (ValueError, KeyError, TypeError) as exc:
                raise CaseError(f"{path}:{n}: not a valid case ({exc})") from exc
    return cases


def _same_pair(pred: dict[str, Any], gold: dict[str, Any]) -> bool:
    if pred.get("event_type") != gold.get("event_type"):
        return False
    ps, pt = pred.get("source_country"), pred.get("target_country")
    gs, gt = gold.get("source_country"), gold.get("target_country")
    if (ps, pt) == (gs, gt):
        return True
    return is_symmetric(str(gold.get("event_type"))) and (ps, pt) == (gt, gs)


def score(cases: Iterable[Case], predictions: Iterable[list[dict[str, Any]]]) -> Report:
    """Match predictions to gold case by case (greedy, in order) and tally the scores."""
    report = Report()
    known = set(event_types())
    for case, predicted in zip(cases, predictions, strict=True):
        used: set[int] = set()
        matched = 0
        for pred in predicted:
            report.by_type.setdefault(pred["event_type"], TypeScore()).predicted += 1
        for g in case.gold:
            report.by_type.setdefault(str(g.get("event_type")), TypeScore()).gold += 1
        for pred in predicted:
            for j, g in enumerate(case.gold):
                if j in used or g.get("event_type") not in known or not _same_pair(pred, g):
                    continue
                used.add(j)
                matched += 1
                report.by_type[pred["event_type"]].matched += 1
                report.date_right += int(pred.get("event_date") == g.get("event_date"))
                report.status_right += int(pred.get("status") == g.get("status"))
                break
        report.cases.append({"id": case.id, "predicted": predicted, "gold": case.gold, "matched": matched})
    return report
