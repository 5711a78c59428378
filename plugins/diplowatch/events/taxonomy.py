"""The event taxonomy (CONTRACT section 5), read once from data/taxonomy.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TAXONOMY_FILE = Path(__file__).parent / "data" / "taxonomy.yml"

STATUSES = ("occurred", "ongoing", "planned", "proposed", "cancelled", "denied")
INTENT_STATUSES = frozenset({"planned", "proposed"})
PRECISIONS = ("day", "month", "year", "unknown")


@dataclass(frozen=True)
class EventType:
    code: str
    cameo: str
    cameo_intent: str
    plover_type: str
    plover_mode: str | None
    symmetric: bool
    description: str

    def cameo_for(self, status: str) -> str:
        """CAMEO codes a planned or proposed visit/meeting as intent (036); `event_type` stays."""
        return self.cameo_intent if status in INTENT_STATUSES else self.cameo


@lru_cache(maxsize=1)
def event_types() -> dict[str, EventType]:
    raw = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))
    return {
        code: EventType(
            code=code,
            cameo=str(v["cameo"]),
            cameo_intent=str(v["cameo_intent"]),
            plover_type=v["plover_type"],
            plover_mode=v.get("plover_mode"),
            symmetric=bool(v["symmetric"]),
            description=v["description"],
        )
        for code, v in raw.items()
    }


def is_symmetric(code: str) -> bool:
    t = event_types().get(code)
    return bool(t and t.symmetric)
