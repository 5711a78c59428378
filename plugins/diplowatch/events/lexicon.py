"""Trigger and cue lexicons (events/data/*.yml), loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from diplowatch.nlp.gazetteer import normalize

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Trigger:
    event_type: str
    lemmas: frozenset[str]
    pos: str  # VERB or NOUN
    frame: str
    reflexive: bool = False
    needs: frozenset[str] = frozenset()
    needs_cue: str | None = None
    needs_pair: bool = False
    needs_party: bool = False
    needs_object_actor: bool = False
    own_parties: bool = False
    not_after: frozenset[str] = frozenset()  # governing verbs that make it another event  # "summit": bilateral only when its own phrase names both parties  # "Biden called Xi" (a call) vs "what Delhi called Operation Dost"  # nouns: both parties must come from the phrase or its verb, not the sentence
    not_before: frozenset[str] = frozenset()
    preps: frozenset[str] = frozenset()
    of_is_target: bool = False  # nouns: "de X"/"of X" is who undergoes it (expulsion of X's diplomats)


@dataclass(frozen=True)
class Cues:
    status: dict[str, frozenset[str]]
    phrases: dict[str, tuple[str, ...]]
    phone: tuple[str, ...]
    negation: frozenset[str]
    attribution: tuple[str, ...]
    reporting_verbs: frozenset[str]
    occasion: tuple[str, ...]
    demonstratives: frozenset[str]
    occasions: dict[str, tuple[str, ...]]  # canonical name -> aliases (lower case)
    negotiation_topics: frozenset[str] = frozenset()


def _yaml(name: str) -> Any:
    data = yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))
    _check_strings(data, name)
    return data


def _check_strings(node: Any, where: str) -> None:
    """YAML reads bare on/off/yes/no as booleans: in a word list that is always a word to quote."""
    if isinstance(node, dict):
        for k, v in node.items():
            _check_strings(v, f"{where}/{k}")
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, bool):
                raise ValueError(f"{where}: a YAML boolean in a word list (quote on/off/yes/no)")
            _check_strings(item, where)


@lru_cache(maxsize=4)
def triggers(lang: str) -> dict[str, list[Trigger]]:
    """lemma -> triggers that use it, in file order."""
    data = _yaml("triggers.yml").get(lang) or []
    index: dict[str, list[Trigger]] = {}
    for row in data:
        t = Trigger(
            event_type=row["type"],
            lemmas=frozenset(normalize(x).lower() for x in row["lemmas"]),
            pos=row.get("pos", "VERB"),
            frame=row["frame"],
            reflexive=bool(row.get("reflexive")),
            needs=frozenset(normalize(x).lower() for x in row.get("needs") or []),
            needs_cue=row.get("needs_cue"),
            needs_pair=bool(row.get("needs_pair")),
            needs_party=bool(row.get("needs_party")),
            needs_object_actor=bool(row.get("needs_object_actor")),
            own_parties=bool(row.get("own_parties")),
            not_after=frozenset(row.get("not_after") or []),
            not_before=frozenset(row.get("not_before") or []),
            preps=frozenset(row.get("preps") or []),
            of_is_target=bool(row.get("of_is_target")),
        )
        for lemma in t.lemmas:
            index.setdefault(lemma, []).append(t)
    return index


@lru_cache(maxsize=4)
def cues(lang: str) -> Cues:
    raw = _yaml("cues.yml")
    data = raw.get(lang) or raw["en"]
    low = lambda xs: tuple(normalize(x).lower() for x in xs or [])  # noqa: E731
    return Cues(
        status={k: frozenset(low(v)) for k, v in (data.get("status") or {}).items()},
        phrases={k: low(v) for k, v in (data.get("phrases") or {}).items()},
        phone=low(data.get("phone")),
        negation=frozenset(low(data.get("negation"))),
        attribution=low(data.get("attribution")),
        reporting_verbs=frozenset(low(data.get("reporting_verbs"))),
        occasion=low(data.get("occasion")),
        demonstratives=frozenset(low(data.get("demonstratives"))),
        occasions={name: low(aliases) for name, aliases in (raw.get("occasions") or {}).items()},
        negotiation_topics=frozenset(low(data.get("negotiation_topics"))),
    )
