"""Every route of the events app needs an Airflow login; tests can swap the check out."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from diplowatch.ui.app import AIRFLOW_JWT_COOKIE, WarehouseConnector, airflow_user, create_app

ROUTES = ["/", "/api/events", "/api/dyads", "/api/timeline", "/api/quality", "/api/meta",
          "/reports/events_ok.html", "/api/events?country=RUS'--"]


@pytest.fixture
def guarded(warehouse_url: str, reports_dir: Path) -> TestClient:
    """The app as the plugin mounts it: Airflow authentication on."""
    app = create_app(connect=WarehouseConnector(warehouse_url), reports_dir=reports_dir)
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("route", ROUTES)
def test_unauthenticated_calls_get_401(guarded, route):
    response = guarded.get(route)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    if route == "/":
        assert "log in" in response.text  # a page a person can act on
    else:
        assert "Not authenticated" in response.json()["error"]


@pytest.mark.parametrize("header", ["Basic YWRtaW46YWRtaW4=", "Bearer", "Token abc", ""])
def test_credentials_that_are_not_a_bearer_jwt_get_401(guarded, header):
    response = guarded.get("/api/events", headers={"Authorization": header})
    assert response.status_code == 401


def test_an_empty_token_cookie_gets_401(guarded):
    guarded.cookies.set(AIRFLOW_JWT_COOKIE, "")
    assert guarded.get("/api/events").status_code == 401


def test_dependency_override_lets_tests_in(warehouse_url, reports_dir, sample):
    app = create_app(connect=WarehouseConnector(warehouse_url), reports_dir=reports_dir)
    app.dependency_overrides[airflow_user] = lambda: {"username": "tester"}
    client = TestClient(app)
    assert client.get("/api/events").json()["total"] == sample.total
    assert client.get("/").status_code == 200


def test_injected_auth_dependency_runs_on_every_route(warehouse_url, reports_dir):
    seen: list[str] = []

    def fake_auth() -> str:
        seen.append("checked")
        return "tester"

    client = TestClient(create_app(auth=fake_auth, connect=WarehouseConnector(warehouse_url), reports_dir=reports_dir))
    for route in ROUTES[:-1]:
        assert client.get(route).status_code == 200, route
    assert len(seen) == len(ROUTES) - 1


def test_cookie_name_is_airflows():
    # Read, not imported: importing Airflow's API package here would configure Airflow in this process.
    spec = importlib.util.find_spec("airflow")
    assert spec is not None and spec.submodule_search_locations
    source = Path(next(iter(spec.submodule_search_locations))) / "api_fastapi/auth/managers/base_auth_manager.py"
    assert f'COOKIE_NAME_JWT_TOKEN = "{AIRFLOW_JWT_COOKIE}"' in source.read_text(encoding="utf-8")
