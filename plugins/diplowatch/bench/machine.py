"""What the benchmark ran on: the machine and the versions of everything measured.

Figures from different machines or versions are not comparable, so every report
carries both. The load average is taken at the start and the end of the run: a
busy machine (other jobs on the same cores) explains noisy figures.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from diplowatch.settings import project_root


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            if line.split(":", 1)[0].strip() == key:
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine_info() -> dict[str, Any]:
    """nproc (usable and total), RAM, CPU model, kernel, load average now."""
    mem_kib = _proc_field("/proc/meminfo", "MemTotal")
    ram_gib = round(int(mem_kib.split()[0]) / 1024 / 1024, 1) if mem_kib else None
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return {
        "nproc": usable,
        "cpus_total": os.cpu_count(),
        "ram_gib": ram_gib,
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "kernel": platform.release(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str | None:
    """The checked-out commit (read-only `git rev-parse`), or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project_root(), capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def versions(models: dict[str, str], pg_version: str | None) -> dict[str, Any]:
    """Python, diplowatch (and its commit), spaCy and each model, Airflow, GX, PostgreSQL server."""
    import spacy

    return {
        "python": platform.python_version(),
        "diplowatch": _version("diplowatch"),
        "commit": git_commit(),
        "spacy": spacy.__version__,
        "models": {lang: f"{name} {_version(name.replace('_', '-'))}" for lang, name in models.items()},
        "airflow": _version("apache-airflow"),
        "great_expectations": _version("great-expectations"),
        "psycopg2": _version("psycopg2-binary"),
        "postgresql": pg_version,
    }
