"""Quarantined rows in the shape warehouse.load.quarantine_rows takes (one record per entity id)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from diplowatch.quality.suites import load_suite
from diplowatch.quality.validate import QuarantinedRow


def _payload_hash(row: dict[str, Any]) -> str:
    text = json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_quarantine_records(
    suite: str, bad: Sequence[QuarantinedRow], run_id: str | None, entity: str
) -> list[dict[str, Any]]:
    """Records for load.quarantine_rows: entity, entity_id, article_id, suite, expectation, reason, payload, run_id.

    entity_id is the row's id (the suite's id_column). The quarantine table keeps one
    row per (entity, entity_id), and one INSERT cannot touch the same key twice, so ids
    are made unique within the batch: a row without an id gets "noid#<hash of the row>";
    a later row with an id already used here gets "<id>#<hash of the row>". Both are
    deterministic, so quarantining the same batch again updates the same records.
    Identical rows (same id, same payload) become one record.
    """
    id_column = load_suite(suite).id_column
    records: dict[str, dict[str, Any]] = {}
    for q in bad:
        row_id = q.row.get(id_column)
        entity_id = str(row_id) if row_id not in (None, "") else f"noid#{_payload_hash(q.row)[:16]}"
        if entity_id in records and records[entity_id]["payload"] != q.row:
            entity_id = f"{entity_id}#{_payload_hash(q.row)[:16]}"
        if entity_id in records:
            continue  # the very same row twice: one record says it
        records[entity_id] = {
            "entity": entity,
            "entity_id": entity_id,
            "article_id": q.row.get("article_id"),
            "suite": suite,
            "expectation": "; ".join(q.expectations),
            "reason": q.reason,
            "payload": q.row,
            "run_id": run_id,
        }
    return list(records.values())
