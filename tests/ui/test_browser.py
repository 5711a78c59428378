"""The UI in a real browser: headless Chromium against `airflow standalone`, as `make up` runs it.

A warehouse of its own is filled by both DAGs over the bundled sample (dag.test(), which also leaves
finished runs in Airflow's metadata DB), then `airflow standalone` starts on a free port of 127.0.0.1
with AIRFLOW_HOME and DIPLOWATCH_HOME in temporary folders. Chromium logs in with the simple auth
manager's generated admin password and looks at the DAG list, a finished run, the "Diplomatic
events" page on its own and inside the Airflow UI. Screenshots go to artifacts/screenshots/.

Needs the Debian packages chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)
and selenium from PyPI; skips without them. Selenium Manager is never asked for a driver (the
Service is given chromedriver's path), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest

from tests.conftest import REPO, _create_db, _drop_db
from tests.warehouse.sample_run import run_sample_dags

pytest.importorskip("selenium", reason="needs selenium from PyPI (pip install selenium)")

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1440,1000")
SCREENSHOTS = REPO / "artifacts" / "screenshots"
STARTUP_TIMEOUT_S = 240  # airflow standalone on a busy 2-core machine: ~30-60 s
PAGE_TIMEOUT_S = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the first test also pays for the DAG runs and Airflow's start
    pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                       reason="needs headless Chromium: apt-get install chromium chromium-driver "
                              "(/usr/bin/chromium and /usr/bin/chromedriver)"),
]


@dataclass(frozen=True)
class AirflowUI:
    base_url: str
    airflow_home: Path
    metadata_url: str
    log: Path

    def admin_password(self) -> str:
        path = self.airflow_home / "simple_auth_manager_passwords.json.generated"
        return json.loads(path.read_text(encoding="utf-8"))["admin"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_healthy(base_url: str, proc: subprocess.Popen[bytes], password_file: Path, log: Path) -> None:
    """Until /api/v2/monitor/health answers with a healthy metadata DB and the password file exists."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"airflow standalone exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(base_url + "/api/v2/monitor/health", timeout=5) as response:
                health = json.load(response)
            last = json.dumps(health)
            if health.get("metadatabase", {}).get("status") == "healthy" and password_file.exists():
                return
        except OSError as exc:
            last = str(exc)
        time.sleep(2)
    pytest.fail(f"Airflow not healthy after {STARTUP_TIMEOUT_S} s (last: {last}):\n{_tail(log)}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(proc: subprocess.Popen[bytes], grace_s: float = 30) -> None:
    """SIGTERM to Airflow's whole process group (standalone, scheduler, dag-processor, triggerer,
    api-server); SIGKILL to whatever is left of it after `grace_s`."""
    pgid = proc.pid  # start_new_session=True: the standalone process leads its own group
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while proc.poll() is None or _group_alive(pgid):  # poll() reaps standalone, else it lingers as a zombie
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def airflow_ui(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowUI]:
    from diplowatch.pipeline.airflow_env import airflow_env, migrate_metadata
    from diplowatch.warehouse import db, migrate

    tmp = Path(tmp_path_factory.mktemp("browser"))
    home = tmp / "diplowatch"
    airflow_home = home / "airflow"
    airflow_home.mkdir(parents=True)
    names = (f"dw_browser_{os.getpid()}", f"dw_browser_airflow_{os.getpid()}")
    warehouse = _create_db(pg_server, names[0])
    metadata = _create_db(pg_server, names[1])
    with db.connection(warehouse) as conn:
        migrate.migrate(conn)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = airflow_env(warehouse, {
        "AIRFLOW_HOME": str(airflow_home),
        "DIPLOWATCH_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata.replace("postgresql://", "postgresql+psycopg2://", 1),
        "AIRFLOW_CONN_DIPLOWATCH_DB": warehouse,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        # Tasks reach the api-server here; Airflow's default is localhost:8080, whatever the port.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        # The DAGs arrive paused, so the scheduler starts no run of its own while the browser looks.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    })
    migrate_metadata(env)
    started = time.perf_counter()
    run_sample_dags(env, tmp)
    print(f"\nboth DAGs over the sample: {time.perf_counter() - started:.0f} s")

    log = tmp / "airflow-standalone.log"
    bin_dir = str(Path(sys.executable).parent)
    full_env = {**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen([str(Path(bin_dir) / "airflow"), "standalone"], env=full_env, cwd=tmp,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_healthy(base_url, proc, airflow_home / "simple_auth_manager_passwords.json.generated", log)
        print(f"airflow standalone healthy after {time.perf_counter() - started:.0f} s")
        yield AirflowUI(base_url, airflow_home, metadata, log)
    finally:
        _stop(proc)
        for name in names:
            _drop_db(pg_server, name)


@pytest.fixture(scope="module")
def browser(airflow_ui: AirflowUI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tmp_path_factory.mktemp("chromium-profile"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(profile.parent / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    driver.set_script_timeout(PAGE_TIMEOUT_S)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        _log_in(driver, airflow_ui)
        yield driver
    finally:
        driver.quit()


# ------------------------------------------------------------------ helpers


def _wait(driver, what: str, condition: Callable[[object], object], shot: str, timeout: float = PAGE_TIMEOUT_S):
    """condition(driver) until truthy; on timeout a screenshot <shot>-failed.png and the page's text."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.5).until(condition)
    except TimeoutException:
        driver.save_screenshot(str(SCREENSHOTS / f"{shot}-failed.png"))
        body = driver.execute_script("return document.body ? document.body.innerText : ''") or ""
        pytest.fail(f"{what}: not seen within {timeout:.0f} s at {driver.current_url}\npage text:\n{body[:2000]}")


def _text_shown(*texts: str) -> Callable[[object], bool]:
    def shown(driver) -> bool:
        body = driver.execute_script("return document.body ? document.body.innerText : ''") or ""
        return all(t in body for t in texts)
    return shown


def _log_in(driver, ui: AirflowUI) -> None:
    from selenium.webdriver.common.by import By

    driver.get(ui.base_url + "/")
    _wait(driver, "the login form", lambda d: d.find_elements(By.NAME, "username"), "00-login")
    driver.save_screenshot(str(SCREENSHOTS / "00-login.png"))
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(ui.admin_password())
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, "leaving the login page", lambda d: "/auth/login" not in d.current_url, "00-login")


def _event_rows(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#events tbody tr'), tr => tr.innerText)") or []


def _check_events_page(driver, shot: str) -> None:
    """The page in view has loaded events, and filtering on RUS + VISIT shows the Russia–China visit."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _wait(driver, "event rows", lambda d: _event_rows(d), shot)
    _wait(driver, "validation runs in the data-quality panel",
          lambda d: d.execute_script("return document.querySelectorAll('#quality tbody tr').length"), shot)
    status = driver.find_element(By.ID, "status").text
    assert not status, f"the page reports a problem: {status}"
    country = driver.find_element(By.NAME, "country")
    country.clear()
    country.send_keys("RUS")
    Select(driver.find_element(By.NAME, "type")).select_by_value("VISIT")
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    _wait(driver, "RUS + VISIT filter applied",
          lambda d: (rows := _event_rows(d)) and all("VISIT" in r and "RUS" in r for r in rows), shot)
    rows = _event_rows(driver)
    assert any("CHN" in r for r in rows), f"no visit between Russia and China among {rows}"
    driver.save_screenshot(str(SCREENSHOTS / f"{shot}.png"))


# ------------------------------------------------------------------ the tests (in file order)


def test_dag_list_after_login(browser, airflow_ui: AirflowUI) -> None:
    browser.get(airflow_ui.base_url + "/dags")
    _wait(browser, "both DAGs in the DAG list", _text_shown("news_ingest", "event_extract"), "01-dag-list")
    browser.save_screenshot(str(SCREENSHOTS / "01-dag-list.png"))


def test_a_finished_run_shows_success(browser, airflow_ui: AirflowUI) -> None:
    with psycopg2.connect(airflow_ui.metadata_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT run_id FROM dag_run WHERE dag_id = 'news_ingest' AND state = 'success' "
                    "ORDER BY id DESC LIMIT 1")
        found = cur.fetchone()
    assert found, "dag.test() left no successful news_ingest run in the metadata DB"
    browser.get(f"{airflow_ui.base_url}/dags/news_ingest/runs/{quote(found[0], safe='')}")
    _wait(browser, "the run, its tasks and the Success state",
          _text_shown(found[0], "Success", "prepare", "fetch"), "02-run-grid")
    browser.save_screenshot(str(SCREENSHOTS / "02-run-grid.png"))


def test_events_page(browser, airflow_ui: AirflowUI) -> None:
    browser.get(airflow_ui.base_url + "/diplowatch/")
    _wait(browser, "the page title", _text_shown("Diplomatic events", "Events over time"), "03-events-page")
    _wait(browser, "event rows", lambda d: _event_rows(d), "03-events-page")
    browser.save_screenshot(str(SCREENSHOTS / "03-events-page.png"))
    browser.execute_script("document.getElementById('dyads').scrollIntoView()")
    browser.save_screenshot(str(SCREENSHOTS / "04-events-page-pairs-and-quality.png"))
    browser.execute_script("window.scrollTo(0, 0)")
    _check_events_page(browser, "05-events-page-rus-visits")


def test_events_page_from_the_airflow_navigation(browser, airflow_ui: AirflowUI) -> None:
    from selenium.webdriver.common.by import By

    browser.get(airflow_ui.base_url + "/")
    link = _wait(browser, "the 'Diplomatic events' entry in the navigation",
                 lambda d: next((a for a in d.find_elements(By.CSS_SELECTOR, "a[href*='plugin/diplomatic-events']")
                                 if a.is_displayed()), None), "06-airflow-nav")
    link.click()
    frame = _wait(browser, "the page's frame inside the Airflow UI",
                  lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "iframe[src*='diplowatch']")), None),
                  "06-airflow-nav")
    browser.switch_to.frame(frame)
    try:
        _wait(browser, "the page inside the frame", _text_shown("Diplomatic events"), "06-airflow-nav")
        _check_events_page(browser, "06-airflow-nav-events-page")
    finally:
        browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "06-airflow-nav-events-page.png"))
