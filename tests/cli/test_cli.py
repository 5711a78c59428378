"""The `diplowatch` command as outside tools call it (CONTRACT sections 1, 2 and 4), in child processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from diplowatch.sources.sample_server import SampleServer
from tests.conftest import REPO

EN = ("Chinese President Xi Jinping arrived in Moscow on Monday for a three-day state visit. "
      "He held talks with Vladimir Putin in the Kremlin.")


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "diplowatch.cli", *args], input=stdin, capture_output=True,
                          timeout=300, cwd=REPO, env={**os.environ, **(env or {})})


def test_extract_jsonl_several_files_one_process(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text(EN, encoding="utf-8")
    b = tmp_path / "b.html"
    b.write_text("<html lang='fr'><head><title>t</title></head><body><article><p>Le président français Emmanuel "
                 "Macron s'est rendu mardi à Berlin, où il a rencontré le chancelier allemand Olaf Scholz pour "
                 "évoquer la défense européenne et le soutien à l'Ukraine face à la Russie.</p></article></body></html>",
                 encoding="utf-8")
    proc = run("extract", str(a), str(b), "--published", "2023-03-21")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert {r["input"] for r in rows} == {str(a), str(b)}
    assert ("VISIT", "CHN", "RUS", "2023-03-20") in {(r["event_type"], r["source_country"], r["target_country"],
                                                     r["event_date"]) for r in rows}
    for r in rows:  # the CONTRACT section 3 record
        for key in ("event_id", "event_type", "cameo_code", "plover_type", "plover_mode", "source_actor",
                    "target_actor", "source_country", "target_country", "source_role", "target_role", "location",
                    "location_country", "event_date", "date_precision", "status", "context", "attributed_to",
                    "sentence", "lang", "confidence", "article_url", "published"):
            assert key in r, key


def test_extract_stdin_and_table() -> None:
    proc = run("extract", "-", "--format", "table", "--lang", "en", "--published", "2023-03-21", stdin=EN.encode())
    assert proc.returncode == 0
    assert "VISIT" in proc.stdout.decode() and "CHN → RUS" in proc.stdout.decode()


def test_extract_no_events_is_success(tmp_path: Path) -> None:
    f = tmp_path / "sport.txt"
    f.write_text("Le PSG a battu Marseille 3-1 dimanche soir au Parc des Princes.", encoding="utf-8")
    proc = run("extract", str(f))
    assert proc.returncode == 0 and proc.stdout == b""


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["extract", "missing.txt"], None, "no such file"),
        (["extract", "{f}"], b"\xff\xfe\xfa caf\xe9 \x81", "not UTF-8"),
        (["extract", "{f}"], b"\x00\x01\x02binary\x00", "binary"),
        (["extract", "{f}", "--lang", "xx"], b"text", "invalid choice"),
        (["extract", "{f}", "--published", "15/07/2023"], b"text", "not a date"),
        (["eval", "missing.jsonl"], None, "no such file"),
        (["eval", "{f}"], b"{not json", "not a valid case"),
        (["frobnicate"], None, "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], content: bytes | None, message: str) -> None:
    f = tmp_path / "input.bin"
    if content is not None:
        f.write_bytes(content)
    proc = run(*[a.replace("{f}", str(f)) for a in args])
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2, (proc.returncode, err)
    assert len(err.splitlines()) == 1 and message in err, err


def test_eval_last_line_and_json(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "en-1", "lang": "en", "published": "2023-03-21", "text": EN, "events": [
        {"event_type": "VISIT", "source_country": "CHN", "target_country": "RUS", "event_date": "2023-03-20",
         "status": "occurred"}]}) + "\n", encoding="utf-8")
    proc = run("eval", str(cases))
    assert proc.returncode == 0
    last = proc.stdout.decode().strip().splitlines()[-1]
    assert re.fullmatch(r"overall precision=\d\.\d{3} recall=\d\.\d{3} f1=\d\.\d{3} date_acc=\d\.\d{3} "
                        r"status_acc=\d\.\d{3} cases=1", last), last
    assert "recall=1.000" in last and "date_acc=1.000" in last
    doc = json.loads(run("eval", str(cases), "--json").stdout)
    assert set(doc) == {"overall", "by_type", "cases"}
    assert doc["by_type"]["VISIT"]["gold"] == 1 and doc["cases"][0]["matched"] == 1


def test_db_migrate_and_status_json(warehouse_url: str) -> None:
    env = {"DIPLOWATCH_DB_URL": warehouse_url}
    assert run("db", "migrate", env=env).returncode == 0
    proc = run("db", "status", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert "001_sources.sql" in doc["migrations"]
    for table in ("sources", "articles", "events", "event_mentions", "quality_results", "quarantine"):
        assert isinstance(doc["tables"][table], int)


def test_fetch_prints_articles_and_errors() -> None:
    with SampleServer() as srv:
        proc = run("fetch", f"{srv.base_url}/feeds/ministry-press.rss", "--json",
                   env={"DIPLOWATCH_ALLOW_HOSTS": "127.0.0.1"})
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert any("error" in r for r in rows)  # the sample's deliberate 404
    good = [r for r in rows if "error" not in r]
    assert good and all({"url", "canonical_url", "title", "published", "lang", "text_length"} <= set(r) for r in good)


def test_fetch_refuses_private_links_unless_allow_listed() -> None:
    with SampleServer() as srv:
        proc = run("fetch", f"{srv.base_url}/feeds/ministry-press.rss", "--json",
                   env={"DIPLOWATCH_ALLOW_HOSTS": ""})
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert rows and all("error" in r for r in rows)  # every link points at 127.0.0.1: refused
