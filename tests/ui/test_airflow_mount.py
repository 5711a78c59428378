"""The plugin inside Airflow's real api-server app (airflow.api_fastapi.app.create_app): mounted at
/diplowatch, listed in the navigation, and guarded by Airflow's own JWT authentication.

Each check runs in a fresh Python process with its own AIRFLOW_HOME (SQLite metadata, the simple
auth manager), so that configuring Airflow does not leak into the other tests.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from diplowatch.settings import project_root

PLUGINS = project_root() / "plugins"

MOUNT_CHECK = r"""
import json, os, time
import jwt
from fastapi.testclient import TestClient
from airflow import settings
from airflow.api_fastapi.app import create_app, get_auth_manager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.models.revoked_token import RevokedToken

# The one metadata table token checks read (revoked tokens); a full `airflow db migrate` is not needed.
RevokedToken.__table__.create(settings.engine, checkfirst=True)
started = time.perf_counter()
app = create_app()
out = {"create_app_s": time.perf_counter() - started}
client = TestClient(app, raise_server_exceptions=False)

out["anonymous"] = client.get("/diplowatch/api/events").status_code
out["anonymous_page"] = client.get("/diplowatch/").status_code
passwords = json.load(open(os.path.join(os.environ["AIRFLOW_HOME"], "simple_auth_manager_passwords.json.generated")))
response = client.post("/auth/token", json={"username": "admin", "password": passwords["admin"]})
out["token_status"] = response.status_code
token = response.json()["access_token"]
bearer = {"Authorization": "Bearer " + token}

response = client.get("/diplowatch/api/events", params={"country": "RUS"}, headers=bearer)
out["bearer_events"] = [response.status_code, response.json()]
out["bearer_bad_param"] = client.get("/diplowatch/api/events", params={"limit": "0"}, headers=bearer).status_code
out["bearer_quality"] = client.get("/diplowatch/api/quality", headers=bearer).status_code

claims = jwt.decode(token, options={"verify_signature": False})
forged = jwt.encode(claims, "not-the-airflow-secret-" * 4, algorithm="HS512")
out["forged"] = client.get("/diplowatch/api/events", headers={"Authorization": "Bearer " + forged}).status_code
expired = get_auth_manager().generate_jwt(
    SimpleAuthManagerUser(username="admin", role="admin"), expiration_time_in_seconds=-3600
)
out["expired"] = client.get("/diplowatch/api/events", headers={"Authorization": "Bearer " + expired}).status_code

plugins = client.get("/api/v2/plugins", headers=bearer).json()["plugins"]
out["plugin"] = next((p for p in plugins if p["name"] == "diplowatch_events"), None)

client.cookies.set("_token", token)  # what the Airflow UI holds after login
page = client.get("/diplowatch/")
out["cookie_page"] = [page.status_code, "Diplomatic events" in page.text, page.headers.get("content-security-policy", "")]
out["cookie_api"] = client.get("/diplowatch/api/timeline").status_code
client.cookies.set("_token", forged)
out["cookie_forged"] = client.get("/diplowatch/api/events").status_code
print("RESULT " + json.dumps(out))
"""

PLUGINS_FOLDER_CHECK = r"""
import json, sys
from airflow import plugins_manager
plugins, errors = plugins_manager._get_plugins()
shadowed = sorted(name for name in ("copy", "http", "json", "queue", "types")
                  if name in sys.modules and "/plugins/" in (getattr(sys.modules[name], "__file__", "") or ""))
print("RESULT " + json.dumps({"plugins": [p.name for p in plugins], "errors": errors, "shadowed": shadowed}))
"""


def _run_in_airflow(code: str, tmp: Path, plugins_folder: Path, extra_env: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DIPLOWATCH_"))}
    env.update({
        "AIRFLOW_HOME": str(tmp / "airflow"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "DIPLOWATCH_HOME": str(tmp / "diplowatch"),
        **extra_env,
    })
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp, capture_output=True, text=True,
                         timeout=240)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert out.returncode == 0 and lines, out.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


def test_plugin_in_the_airflow_api_server(tmp_path, warehouse_url, sample):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(PLUGINS / "diplowatch_events_plugin.py", plugins)  # the package itself is pip-installed
    out = _run_in_airflow(MOUNT_CHECK, tmp_path, plugins, {"DIPLOWATCH_DB_URL": warehouse_url})
    print(f"Airflow create_app with the plugin: {out['create_app_s']:.1f} s")

    assert out["anonymous"] == 401 and out["anonymous_page"] == 401
    assert out["token_status"] == 201
    status, body = out["bearer_events"]
    assert status == 200 and body["total"] == sample.rus_events
    assert out["bearer_bad_param"] == 400
    assert out["bearer_quality"] == 200
    assert out["forged"] in (401, 403)
    assert out["expired"] == 401
    assert out["cookie_page"][:2] == [200, True] and "nonce-" in out["cookie_page"][2]
    assert out["cookie_api"] == 200
    assert out["cookie_forged"] in (401, 403)

    plugin = out["plugin"]
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/diplowatch"
    (view,) = plugin["external_views"]
    assert view["name"] == "Diplomatic events" and view["destination"] == "nav"
    assert view["href"] == "diplowatch/" and view["url_route"] == "diplomatic-events"


def test_the_plugins_folder_loads_only_plugins(tmp_path):
    """Airflow imports every .py under the plugins folder as a top-level module (warehouse/copy.py
    as `copy`, fetch/http.py as `http`...), unless plugins/.airflowignore leaves the package out."""
    if not (PLUGINS / ".airflowignore").exists():
        pytest.fail("plugins/.airflowignore is missing: Airflow would import every file of the diplowatch "
                    "package as a top-level module and shadow the standard library (copy, http). "
                    "It needs the lines 'diplowatch/' and '*.egg-info/'.")
    out = _run_in_airflow(PLUGINS_FOLDER_CHECK, tmp_path, PLUGINS, {})
    assert out["shadowed"] == []
    assert out["errors"] == {}
    assert "diplowatch_events" in out["plugins"]
