"""Faults on the fetch side, injected for real on 127.0.0.1, through ingest_source and a real warehouse.

Each test counts rows before and after the fault and after the recovery run: 0 lost, 0 duplicated.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from diplowatch.pipeline.ingest import ingest_source
from diplowatch.pipeline.tasks import prepare_warehouse
from diplowatch.sources.config import Source, SourceConfigError, load_sources
from diplowatch.warehouse import load
from tests.reliability.conftest import REPO, counts, fast_settings, no_duplicates
from tests.reliability.localnet import NewsServer, PgProxy, Route, article_html, rss

FEED = "application/rss+xml"


def _site(srv: NewsServer, n: int, *, start: int = 0, feed: str = "/feed.rss", prefix: str = "/a") -> list[str]:
    """n article pages and a feed listing them; returns the article URLs."""
    urls = []
    for i in range(start, start + n):
        srv.routes[f"{prefix}/{i}"] = Route(article_html(i))
        urls.append(f"{srv.base}{prefix}/{i}")
    srv.routes[feed] = Route(rss([(u, f"item {u}") for u in urls]), FEED)
    return urls


def _ids(urls: list[str]) -> list[str]:
    return sorted(load.article_id_for(u) for u in urls)


def _errors(url: str) -> list[tuple[str, str, str, int]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT source_id, stage, error, attempts FROM fetch_errors ORDER BY source_id, stage, url")
        rows = cur.fetchall()
    conn.close()
    return rows


def test_a_500_feed_and_a_hanging_feed_do_not_stop_the_others(clean_warehouse: str) -> None:
    """Fault: one source answers 500 on every attempt, another hangs past the read timeout."""
    settings = fast_settings()
    with NewsServer() as srv:
        good = _site(srv, 3)
        srv.routes["/broken.rss"] = Route(b"boom", "text/plain", status=500)
        srv.routes["/slow.rss"] = Route(rss([(good[0], "x")]), FEED, hang_s=2.5)  # read timeout is 1 s
        sources = [Source("good", f"{srv.base}/feed.rss"), Source("broken", f"{srv.base}/broken.rss"),
                   Source("slow", f"{srv.base}/slow.rss")]
        before = counts(clean_warehouse)
        summaries = [ingest_source(s, "run-1", settings, clean_warehouse) for s in sources]
        after = counts(clean_warehouse)
        assert [s.feed_status for s in summaries] == ["ok", "failed", "failed"]
        assert after["article_ids"] == _ids(good) and before["articles"] == 0
        errors = _errors(clean_warehouse)
        assert [(e[0], e[1]) for e in errors] == [("broken", "feed"), ("slow", "feed")]
        assert "HTTP 500" in errors[0][2] and errors[0][3] == 2  # retried once (retries=1)
        assert "timed out" in errors[1][2]
        assert srv.requests["/broken.rss"] == 2
        # The same run again (a task retry): nothing moves, errors are not duplicated.
        for s in sources:
            ingest_source(s, "run-1", settings, clean_warehouse)
        assert counts(clean_warehouse) == after
        # Recovery: the broken feed comes back listing one known and two new articles.
        more = _site(srv, 2, start=3, feed="/broken.rss")
        srv.routes["/broken.rss"] = Route(rss([(good[0], "dup")] + [(u, "new") for u in more]), FEED)
        ingest_source(sources[1], "run-2", settings, clean_warehouse)
        assert counts(clean_warehouse)["article_ids"] == _ids(good + more)
        with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
            cur.execute("SELECT source_id, consecutive_failures FROM sources ORDER BY 1")
            assert cur.fetchall() == [("broken", 0), ("good", 0), ("slow", 2)]
        conn.close()
    no_duplicates(clean_warehouse)


def test_page_faults_are_recorded_and_retried_by_the_next_run(clean_warehouse: str) -> None:
    """Fault: article pages that answer 503, drop the connection mid-body, or hang. The feed itself
    is fine and answers conditional GETs, so the next run must not take a 304 as "nothing to do"."""
    settings = fast_settings()
    with NewsServer() as srv:
        urls = _site(srv, 6)
        good_page = {u: srv.routes[u.removeprefix(srv.base)] for u in urls}
        srv.routes["/a/3"] = Route(b"busy", "text/plain", status=503)
        srv.routes["/a/4"] = Route(article_html(4), drop=True)
        srv.routes["/a/5"] = Route(article_html(5), hang_s=2.5)
        src = Source("flaky", f"{srv.base}/feed.rss")
        summary = ingest_source(src, "run-1", settings, clean_warehouse)
        first = counts(clean_warehouse)
        assert first["article_ids"] == _ids(urls[:3])
        assert sorted(e[1] for e in _errors(clean_warehouse)) == ["page", "page", "page"]
        assert len(summary.errors) == 3
        # The pages come back; the feed has not changed.
        for u in urls[3:]:
            srv.routes[u.removeprefix(srv.base)] = good_page[u]
        ingest_source(src, "run-2", settings, clean_warehouse)
        assert counts(clean_warehouse)["article_ids"] == _ids(urls), "pages that failed once were never retried"
        # Now everything is stored, the feed is asked conditionally and nothing more is fetched.
        fetched = sum(n for p, n in srv.requests.items() if p.startswith("/a/"))
        ingest_source(src, "run-3", settings, clean_warehouse)
        assert srv.not_modified["/feed.rss"] == 1
        assert sum(n for p, n in srv.requests.items() if p.startswith("/a/")) == fetched
    no_duplicates(clean_warehouse)


def test_a_feed_longer_than_the_per_run_cap_is_finished_by_later_runs(clean_warehouse: str) -> None:
    """Fault: 8 new items, max_articles_per_source=5, and a server that answers 304 when nothing changed."""
    settings = fast_settings(max_articles_per_source=5)
    with NewsServer() as srv:
        urls = _site(srv, 8)
        src = Source("long", f"{srv.base}/feed.rss")
        ingest_source(src, "run-1", settings, clean_warehouse)
        assert counts(clean_warehouse)["articles"] == 5
        ingest_source(src, "run-2", settings, clean_warehouse)
        assert counts(clean_warehouse)["article_ids"] == _ids(urls), "a 304 hid the items the cap left out"
        ingest_source(src, "run-3", settings, clean_warehouse)
        assert srv.not_modified["/feed.rss"] == 1 and counts(clean_warehouse)["articles"] == 8
    no_duplicates(clean_warehouse)


def test_warehouse_lost_between_feed_and_articles_loses_nothing(clean_warehouse: str) -> None:
    """Fault: the warehouse connection goes away while the pages are being fetched (after the feed
    was read and its ETag known). The run fails; the next run must still fetch the feed in full."""
    settings = fast_settings()
    with NewsServer() as srv, PgProxy(clean_warehouse) as proxy:
        urls = _site(srv, 4)
        srv.routes["/a/2"].on_request = proxy.down  # the warehouse disappears mid-run
        src = Source("lost", f"{srv.base}/feed.rss")
        with pytest.raises(psycopg2.OperationalError):
            ingest_source(src, "run-1", settings, proxy.url)
        assert counts(clean_warehouse)["articles"] == 0
        proxy.up()
        srv.routes["/a/2"].on_request = None
        ingest_source(src, "run-2", settings, proxy.url)
        assert counts(clean_warehouse)["article_ids"] == _ids(urls), "the feed's ETag was saved without its articles"
        ingest_source(src, "run-3", settings, proxy.url)
        assert counts(clean_warehouse)["article_ids"] == _ids(urls)
    no_duplicates(clean_warehouse)


def test_duplicate_feed_items_and_the_same_article_in_two_feeds_land_once(clean_warehouse: str) -> None:
    """Fault: a feed that lists one article three times (tracking parameters, fragment, same guid)
    and a second feed listing it too; a page whose canonical URL names another listed page."""
    settings = fast_settings()
    with NewsServer() as srv:
        urls = _site(srv, 3)
        base = urls[0]
        srv.routes["/dups.rss"] = Route(rss([
            (base, "a"), (base + "?utm_source=rss&utm_medium=feed", "b"), (base + "#comments", "c"),
            (urls[1], "d"), (f"{srv.base}/a/1?fbclid=xyz", "e"),
        ]), FEED)
        srv.routes["/amp/1"] = Route(article_html(1, canonical=urls[1]))  # names /a/1 as canonical
        srv.routes["/other.rss"] = Route(rss([(urls[1], "x"), (urls[2], "y"), (f"{srv.base}/amp/1", "z")]), FEED)
        for name, path in (("dups", "/dups.rss"), ("other", "/other.rss"), ("dups", "/dups.rss")):
            ingest_source(Source(name, f"{srv.base}{path}"), "run-1", settings, clean_warehouse)
        assert counts(clean_warehouse)["article_ids"] == _ids(urls)
        assert srv.requests["/a/0"] == 1  # the three spellings were fetched once
    no_duplicates(clean_warehouse)


def test_archive_path_blocked_by_a_file_records_an_error_and_keeps_the_article(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault: a plain file where the raw archive directory should be (ENOTDIR on every store)."""
    monkeypatch.setenv("DIPLOWATCH_HOME", str(tmp_path))
    (tmp_path / "archive").write_text("not a directory")
    settings = fast_settings()
    with NewsServer() as srv:
        urls = _site(srv, 3)
        ingest_source(Source("noarchive", f"{srv.base}/feed.rss"), "run-1", settings, clean_warehouse)
    after = counts(clean_warehouse)
    assert after["article_ids"] == _ids(urls)
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE raw_path IS NOT NULL OR text = '' OR title IS NULL")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT stage, error FROM fetch_errors ORDER BY url")
        errors = cur.fetchall()
    conn.close()
    # The feed body and the three pages could not be archived; each page's failure is on record.
    assert [e[0] for e in errors] == ["archive"] * 3
    assert all("cannot archive" in e[1] and "Not a directory" in e[1] for e in errors)


_DISK_FULL_CHILD = """
import json, resource, signal, sys
from diplowatch.pipeline.ingest import ingest_source
from diplowatch.sources.config import Source
from diplowatch.parse.articles import _language_identifier
from tests.reliability.conftest import fast_settings
_language_identifier()  # loaded first: it unpacks its model into a temp file (the temp disk is not the full one)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # writes past the limit fail with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
s = ingest_source(Source("diskfull", sys.argv[1]), "run-1", fast_settings(), sys.argv[2])
print(json.dumps(s.to_dict()))
"""


def test_archive_on_a_full_disk_records_an_error_and_keeps_the_article(clean_warehouse: str, tmp_path: Path) -> None:
    """Fault: the archive's file system refuses to grow (RLIMIT_FSIZE → EFBIG, as a full disk gives
    ENOSPC), in a child process so that only the ingest feels it. No half-written entry stays behind."""
    with NewsServer() as srv:
        urls = _site(srv, 3)
        env = {**os.environ, "DIPLOWATCH_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
        proc = subprocess.run([sys.executable, "-c", _DISK_FULL_CHILD, f"{srv.base}/feed.rss", clean_warehouse],
                              env=env, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert counts(clean_warehouse)["article_ids"] == _ids(urls)
    with psycopg2.connect(clean_warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT stage, error FROM fetch_errors")
        errors = cur.fetchall()
        cur.execute("SELECT count(*) FROM articles WHERE raw_path IS NULL")
        missing = cur.fetchone()[0]
    conn.close()
    assert len(errors) == missing and missing >= 1, errors
    assert all(stage == "archive" and "too large" in error.lower() for stage, error in errors), errors
    archived = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert not [p for p in archived if p.name.startswith(".tmp-")], "a half-written archive entry was left"
    import gzip

    for p in archived:  # whatever was kept is whole
        gzip.decompress(p.read_bytes())


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_archive_records_an_error_and_keeps_the_article(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # pragma: no cover - runs for non-root users
    monkeypatch.setenv("DIPLOWATCH_HOME", str(tmp_path))
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive").chmod(stat.S_IRUSR | stat.S_IXUSR)
    with NewsServer() as srv:
        urls = _site(srv, 2)
        ingest_source(Source("ro", f"{srv.base}/feed.rss"), "run-1", fast_settings(), clean_warehouse)
    assert counts(clean_warehouse)["article_ids"] == _ids(urls)
    assert {e[1] for e in _errors(clean_warehouse)} == {"archive"}


MALFORMED_SOURCES = {
    "yaml syntax": "sources:\n  - {name: a, url: http://127.0.0.1/x\n",
    "duplicate name": "sources:\n  - {name: a, url: 'http://127.0.0.1/x'}\n  - {name: a, url: 'http://127.0.0.1/y'}\n",
    "missing url": "sources:\n  - {name: a}\n",
    "bad kind": "sources:\n  - {name: a, url: 'http://127.0.0.1/x', kind: podcast}\n",
    "bad name": "sources:\n  - {name: 'A; DROP TABLE articles', url: 'http://127.0.0.1/x'}\n",
    "not a mapping": "- just\n- a list\n",
    "sources not a list": "sources: 5\n",
    "item not a mapping": "sources:\n  - just a string\n",
    "binary": "\x00\x01\x02sources",
}


@pytest.mark.parametrize("case", sorted(MALFORMED_SOURCES))
def test_malformed_sources_yml_fails_loudly_and_changes_nothing(
    case: str, clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault: a broken config/sources.yml. prepare (the first task) fails with a message naming the
    file; the warehouse is untouched; fixing the file makes the next run work."""
    path = tmp_path / "sources.yml"
    path.write_text(MALFORMED_SOURCES[case], encoding="utf-8")
    monkeypatch.setenv("DIPLOWATCH_SOURCES", str(path))
    monkeypatch.setenv("DIPLOWATCH_SOURCE_GROUPS", "live")
    before = counts(clean_warehouse)
    with pytest.raises(SourceConfigError) as info:
        prepare_warehouse()
    assert str(path) in str(info.value)
    assert counts(clean_warehouse) == before
    path.write_text("sources:\n  - {name: a, url: 'http://127.0.0.1:9/x', group: live}\n", encoding="utf-8")
    assert [s["name"] for s in prepare_warehouse()["sources"]] == ["a"]


def test_sources_with_unset_variables_are_skipped_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  - {name: a, url: '${DW_NOT_SET_ANYWHERE}/x', group: g}\n"
                    "  - {name: b, url: 'file:///etc/passwd', group: g}\n", encoding="utf-8")
    monkeypatch.delenv("DW_NOT_SET_ANYWHERE", raising=False)
    sources, skipped = load_sources(path, {"g"})
    assert sources == [] and len(skipped) == 2


def test_killed_ingest_leaves_all_or_nothing(clean_warehouse: str) -> None:
    """Fault: the ingest process is SIGKILLed while it fetches pages. Nothing of that run is stored,
    the feed's validators are not advanced, and the next run stores every article once."""
    with NewsServer() as srv:
        urls = _site(srv, 4)
        srv.routes["/a/3"].hang_s = 30  # holds the child in the page fetches
        code = ("import sys; from diplowatch.pipeline.ingest import ingest_source; from diplowatch.sources.config "
                "import Source; from tests.reliability.conftest import fast_settings; from dataclasses import replace; "
                "s = fast_settings(); s = replace(s, http=replace(s.http, read_timeout_s=60, total_timeout_s=60)); "
                "ingest_source(Source('killed', sys.argv[1]), 'run-1', s, sys.argv[2])")
        proc = subprocess.Popen([sys.executable, "-c", code, f"{srv.base}/feed.rss", clean_warehouse],
                                env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
        try:
            import time

            deadline = time.monotonic() + 60
            while srv.requests["/a/3"] == 0 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert srv.requests["/a/3"] == 1
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
        assert counts(clean_warehouse)["articles"] == 0
        srv.routes["/a/3"].hang_s = 0
        ingest_source(Source("killed", f"{srv.base}/feed.rss"), "run-2", fast_settings(), clean_warehouse)
        assert counts(clean_warehouse)["article_ids"] == _ids(urls)
    no_duplicates(clean_warehouse)
