"""The event record of CONTRACT section 3, shared by the extractor, the CLI and the warehouse."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from diplowatch.events.taxonomy import event_types


@dataclass
class Event:
    event_type: str
    source_country: str | None
    target_country: str | None
    status: str
    sentence: str
    source_actor: str | None = None
    target_actor: str | None = None
    source_role: str | None = None
    target_role: str | None = None
    location: str | None = None
    location_country: str | None = None
    event_date: str | None = None
    date_precision: str = "unknown"
    context: str | None = None
    attributed_to: str | None = None
    lang: str | None = None
    confidence: float = 0.5
    article_url: str | None = None
    published: str | None = None
    event_id: str = ""
    cameo_code: str = ""
    plover_type: str = ""
    plover_mode: str | None = None
    # Where in the text the trigger was (character offset); not part of the record.
    offset: int = field(default=0, repr=False)

    def finalize(self, article_key: str) -> Event:
        """Fill the taxonomy columns and the deterministic id (same article + same event => same id)."""
        et = event_types()[self.event_type]
        self.cameo_code = et.cameo_for(self.status)
        self.plover_type = et.plover_type
        self.plover_mode = et.plover_mode
        a, b = self.source_country or "", self.target_country or ""
        if et.symmetric and b < a:
            a, b = b, a
        key = "|".join([article_key, self.event_type, a, b, self.event_date or ""])
        self.event_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self

    def to_record(self) -> dict[str, Any]:
        """The JSON record (CONTRACT section 3)."""
        d = asdict(self)
        d.pop("offset", None)
        return d


RECORD_FIELDS = tuple(f.name for f in fields(Event) if f.name != "offset")
