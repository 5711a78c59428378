"""config/sources.yml → Source records.

A source belongs to a group: `live` (real public feeds) or `sample` (the
offline sample under data/sample/, served on 127.0.0.1). The groups a run
polls come from $DIPLOWATCH_SOURCE_GROUPS (comma-separated; default: live).
URLs may use ${VARIABLE}s from the environment (the sample server publishes
its address as ${DIPLOWATCH_SAMPLE_BASE}); a source whose variable is unset is
skipped with a reason, never fetched half-configured.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from diplowatch.settings import config_dir

_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class SourceConfigError(ValueError):
    """sources.yml is malformed; the message says where."""


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    kind: str = "feed"  # feed | page
    lang: str | None = None
    group: str = "live"
    publisher: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sources_file() -> Path:
    return Path(os.environ.get("DIPLOWATCH_SOURCES") or config_dir() / "sources.yml")


def active_groups() -> set[str]:
    raw = os.environ.get("DIPLOWATCH_SOURCE_GROUPS") or "live"
    return {g.strip() for g in raw.split(",") if g.strip()}


def load_sources(path: Path | None = None, groups: set[str] | None = None) -> tuple[list[Source], list[str]]:
    """(sources to poll, reasons for the ones skipped). Raises SourceConfigError on a malformed file."""
    path = path or sources_file()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SourceConfigError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources") or [], list):
        raise SourceConfigError(f"{path}: expected a mapping with a list under 'sources:'")
    groups = groups if groups is not None else active_groups()
    sources: list[Source] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(raw.get("sources") or []):
        if not isinstance(item, dict):
            raise SourceConfigError(f"{path}: source #{i + 1}: expected a mapping (name:, url:, ...)")
        try:
            src = Source(
                name=str(item["name"]),
                url=str(item["url"]),
                kind=str(item.get("kind", "feed")),
                lang=item.get("lang"),
                group=str(item.get("group", "live")),
                publisher=item.get("publisher"),
            )
        except (KeyError, TypeError) as exc:
            raise SourceConfigError(f"{path}: source #{i + 1}: missing {exc}") from exc
        if not _NAME.match(src.name):
            raise SourceConfigError(f"{path}: source name {src.name!r}: use lower-case letters, digits, - _ .")
        if src.name in seen:
            raise SourceConfigError(f"{path}: source name {src.name!r} appears twice")
        if src.kind not in ("feed", "page"):
            raise SourceConfigError(f"{path}: source {src.name!r}: kind must be feed or page")
        seen.add(src.name)
        if src.group not in groups:
            continue
        missing = [v for v in _VAR.findall(src.url) if not os.environ.get(v)]
        if missing:
            skipped.append(f"{src.name}: ${{{missing[0]}}} is not set")
            continue
        url = _VAR.sub(lambda m: os.environ[m.group(1)].rstrip("/"), src.url)
        if not url.startswith(("http://", "https://")):
            skipped.append(f"{src.name}: only http and https URLs are fetched")
            continue
        sources.append(Source(src.name, url, src.kind, src.lang, src.group, src.publisher))
    return sources, skipped
