from __future__ import annotations

from datetime import datetime

import pytest

from diplowatch.events.taxonomy import event_types
from diplowatch.quality import validate
from diplowatch.quality.suites import load_suite
from diplowatch.quality.validate import RESULT_KEYS, run_id_for, validate_rows


def ids(rows, key="event_id"):
    return [r[key] for r in rows]


def test_a_good_batch_passes_whole(good_events, capfd):
    outcome = validate_rows("events", good_events, batch_key="good")

    assert outcome.bad == []
    assert outcome.good == good_events
    r = outcome.result
    assert tuple(r) == RESULT_KEYS
    assert r["success"] is True
    assert (r["evaluated_rows"], r["failed_rows"], r["failed_expectations"], r["report_path"]) == (4, 0, [], None)
    assert r["statistics"]["unsuccessful_expectations"] == 0
    assert r["statistics"]["evaluated_expectations"] == len(load_suite("events").expectations)
    assert "Calculating Metrics" not in capfd.readouterr().err  # GX progress bars stay out of task logs


def test_bad_rows_go_to_quarantine_and_the_rest_loads(good_events, make_event):
    bad_event = make_event(
        "bad", event_type="PARTY", confidence=1.7, source_country="RUS", target_country="RUS",
        event_date="18/10/2023",
    )
    duplicate = make_event("e1", sentence="Putin and Xi met again, a second report of the same event.")
    too_old = make_event("old", event_date="1850-01-01")
    rows = [*good_events[:2], bad_event, *good_events[2:], duplicate, too_old]

    outcome = validate_rows("events", rows, batch_key="mixed")

    assert ids(outcome.good) == ["e1", "e2", "e3", "e4"]
    assert outcome.good[0] is good_events[0]  # the first copy of a duplicated id is the one kept
    assert [q.row for q in outcome.bad] == [bad_event, duplicate, too_old]
    q_bad, q_dup, q_old = outcome.bad
    assert q_bad.reason == (
        "event_type 'PARTY' not in taxonomy; confidence 1.7 outside [0, 1]; "
        "source_country and target_country are both 'RUS'; "
        "event_date '18/10/2023' is not YYYY, YYYY-MM or YYYY-MM-DD"
    )
    assert q_bad.expectations == [
        "expect_column_values_to_be_in_set(event_type)",
        "expect_column_values_to_be_between(confidence)",
        "expect_select_column_values_to_be_unique_within_record(source_country, target_country)",
        "expect_column_values_to_match_regex(event_date)",
    ]
    assert q_dup.expectations == ["expect_column_values_to_be_unique(event_id)"]
    assert "'e1' occurs more than once" in q_dup.reason
    assert q_old.expectations == ["expect_column_values_to_be_between(event_year)"]
    assert "\n" not in q_bad.reason + q_dup.reason + q_old.reason

    r = outcome.result
    assert (r["success"], r["evaluated_rows"], r["failed_rows"]) == (False, 7, 3)
    failed = {(f["expectation"], f["column"]): f for f in r["failed_expectations"]}
    assert failed[("expect_column_values_to_be_in_set", "event_type")]["sample"] == ["PARTY"]
    unique = failed[("expect_column_values_to_be_unique", "event_id")]
    assert (unique["unexpected_count"], unique["quarantined_rows"]) == (2, 1)  # GX counts both copies
    assert r["statistics"]["unsuccessful_expectations"] == len(failed) == 6


def test_odd_values_fail_their_expectation_instead_of_crashing(make_event):
    rows = [make_event("x", confidence="high", event_date=20231018, sentence="", source_country=None)]

    (q,) = validate_rows("events", rows, batch_key="odd").bad

    assert q.reason == (
        "confidence 'high' outside [0, 1]; source_country is missing; "
        "event_date 20231018 is not YYYY, YYYY-MM or YYYY-MM-DD; sentence length 0 outside 1..5000 characters"
    )


def test_a_good_batch_after_a_bad_one_sees_only_its_own_rows(good_events, make_event):
    assert validate_rows("events", [make_event("b", event_type="PARTY")], batch_key="b1").bad
    assert validate_rows("events", good_events, batch_key="b2").bad == []


def test_run_id_is_deterministic_per_suite_and_batch(good_events):
    first = validate_rows("events", good_events, batch_key="2024-05-01T00:00/batch-3").result["run_id"]
    again = validate_rows("events", good_events[:1], batch_key="2024-05-01T00:00/batch-3").result["run_id"]

    assert first == again == run_id_for("events", "2024-05-01T00:00/batch-3")
    assert len(first) == 32 and int(first, 16) >= 0
    assert run_id_for("events", "other") != first != run_id_for("articles", "2024-05-01T00:00/batch-3")


def test_empty_input_succeeds_without_calling_gx(monkeypatch):
    def no_gx():
        raise AssertionError("GX must not be called for an empty batch")

    monkeypatch.setattr(validate, "_get_engine", no_gx)
    outcome = validate_rows("events", [], batch_key="empty")

    assert (outcome.good, outcome.bad) == ([], [])
    assert tuple(outcome.result) == RESULT_KEYS
    assert outcome.result["success"] is True
    assert (outcome.result["evaluated_rows"], outcome.result["failed_rows"]) == (0, 0)


def test_articles_suite(make_article):
    good = [
        make_article("a1"),
        make_article("a2", published=datetime(2024, 3, 1, 12, 0), lang=None),
        make_article("a3", published=None, lang="fra"),
    ]
    bad = [
        make_article("b1", canonical_url="ftp://example.org/x"),
        make_article("b2", text=""),
        make_article("b3", published="1985-06-01"),
        make_article("b4", published="last Tuesday"),
        make_article("b5", lang="EN"),
        make_article("a1", title="same article again"),
    ]

    outcome = validate_rows("articles", [*good, *bad], batch_key="articles-1")

    assert outcome.good == good
    assert [q.row for q in outcome.bad] == bad
    reasons = [q.reason for q in outcome.bad]
    assert reasons[0] == "canonical_url 'ftp://example.org/x' is not an http(s) URL"
    assert reasons[1] == "text length 0 outside 1..5000000 characters"
    assert reasons[2].startswith("published '1985-06-01' is not a date in the years 1990..")
    assert reasons[3].startswith("published 'last Tuesday' is not a date")
    assert reasons[4] == "lang 'EN' is not an ISO 639 code"
    assert "occurs more than once" in reasons[5]


def test_suite_placeholders_are_filled():
    spec = load_suite("events", 2030)
    kwargs = {e.label: e.kwargs for e in spec.expectations}

    assert kwargs["expect_column_values_to_be_in_set(event_type)"]["value_set"] == sorted(event_types())
    assert kwargs["expect_column_values_to_be_between(event_year)"]["max_value"] == 2035
    with pytest.raises(ValueError, match="unknown quality suite"):
        load_suite("../events")
