from __future__ import annotations

from diplowatch.quality.quarantine import to_quarantine_records
from diplowatch.quality.validate import QuarantinedRow


def test_records_have_the_shape_quarantine_rows_takes(make_event):
    row = make_event("e9", event_type="PARTY")
    q = QuarantinedRow(row=row, expectations=["expect_column_values_to_be_in_set(event_type)"],
                       reason="event_type 'PARTY' not in taxonomy")

    (rec,) = to_quarantine_records("events", [q], "r" * 32, "event")

    assert rec == {
        "entity": "event",
        "entity_id": "e9",
        "article_id": row["article_id"],
        "suite": "events",
        "expectation": "expect_column_values_to_be_in_set(event_type)",
        "reason": "event_type 'PARTY' not in taxonomy",
        "payload": row,
        "run_id": "r" * 32,
    }


def test_entity_ids_are_unique_and_deterministic_within_a_batch(make_event):
    def q(row):
        return QuarantinedRow(row=row, expectations=["x"], reason="x")

    first, second = make_event("e1"), make_event("e1", sentence="another copy")
    no_id = make_event(None)
    bad = [q(first), q(second), q(dict(first)), q(no_id)]

    records = to_quarantine_records("events", bad, None, "event")

    entity_ids = [r["entity_id"] for r in records]
    assert len(records) == 3  # the identical copy of `first` is one record
    assert entity_ids[0] == "e1" and entity_ids[1].startswith("e1#") and entity_ids[2].startswith("noid#")
    assert entity_ids == [r["entity_id"] for r in to_quarantine_records("events", bad, None, "event")]
