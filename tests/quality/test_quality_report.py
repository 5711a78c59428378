from __future__ import annotations

import json

from diplowatch.quality.report import write_report
from diplowatch.quality.validate import validate_rows


def test_report_is_escaped_and_indexed(tmp_path, good_events, make_event):
    evil = make_event("evil", event_type="<script>alert(1)</script>", sentence="<script>alert('x')</script> & co")
    outcome = validate_rows("events", [*good_events, evil], batch_key="report-1")

    path = write_report(outcome.result, outcome.bad, tmp_path)

    assert path == tmp_path / "events" / f"{outcome.result['run_id']}.html"
    assert outcome.result["report_path"] == str(path)
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in html
    assert "expect_column_values_to_be_in_set(event_type)" in html
    assert html.count('class="pass"') >= 10 and 'class="fail"' in html
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f'href="events/{outcome.result["run_id"]}.html"' in index


def test_index_lists_newest_first(tmp_path):
    older = validate_rows("events", [], batch_key="older").result
    write_report(older, [], tmp_path)
    meta = tmp_path / "events" / f"{older['run_id']}.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "generated_at": "2000-01-01T00:00:00+00:00"}))
    newer = validate_rows("events", [], batch_key="newer").result
    write_report(newer, [], tmp_path)

    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert index.index(newer["run_id"]) < index.index(older["run_id"])
