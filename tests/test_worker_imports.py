"""What a serving process imports: the memory target (README, Benchmarks)
counts every module a worker and the supervisor hold for their whole life.

Each check runs in a fresh interpreter, as a uvicorn worker or ``casework
serve``'s supervisor starts, so nothing the test session imported counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from litestar import Litestar

SRC = Path(__file__).resolve().parents[1] / "src"

# Loaded on first use only (notices, admin, migrations), or never by a
# worker: each line says who would bring it back.
NOT_IN_A_WORKER = (
    "pydantic",  # Litestar's default plugins (casework.app.CaseworkApp leaves them out)
    "opentelemetry",  # Litestar's OpenTelemetry patch, tracing off
    "black",  # piccolo.conf.apps, through Piccolo's engine_finder or piccolo_app
    "piccolo.conf.apps",
    "piccolo_admin",  # the /admin mount is built on its first request
    "docx",  # notices: python-docx and lxml load with the first document
    "docxtpl",
    "lxml",
    "jinja2",  # swagger_ui's package; its assets are found without importing it
)

NOT_IN_THE_SUPERVISOR = (*NOT_IN_A_WORKER, "casework.app", "casework.db", "piccolo", "asyncpg", "litestar", "httpx")


def imported_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "PICCOLO_CONF": "casework.piccolo_conf"}
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def present(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


def test_a_worker_imports_only_what_it_serves_with() -> None:
    modules = imported_after("from casework.app import create_app\ncreate_app()\n"
                             "from casework.health import expected_migrations\nexpected_migrations()\n"
                             "from casework.db import engine\nengine()")
    assert "litestar" in modules and "casework.cases.controller" in modules  # the check ran a real app
    assert present(modules, NOT_IN_A_WORKER) == []


def test_the_supervisor_imports_no_part_of_the_app() -> None:
    # What cmd_serve imports before uvicorn.run (casework.cli), and what say() logs through.
    modules = imported_after("import uvicorn\nimport casework.cli\n"
                             "from casework.embedded import ensure_database_url, stop_embedded_server\n"
                             "from casework.serving import uvicorn_options\nfrom casework.logging import say\n"
                             "say('ready')")
    assert "uvicorn" in modules and "casework.embedded" in modules
    assert present(modules, NOT_IN_THE_SUPERVISOR) == []


def test_the_litestar_internals_casework_app_replaces_still_exist() -> None:
    # CaseworkApp overrides these two private static methods; if a Litestar
    # release renames them the overrides would silently do nothing.
    for name in ("_get_default_plugins", "_patch_opentelemetry_middleware"):
        assert isinstance(Litestar.__dict__.get(name), staticmethod), name


def test_the_documents_still_load_their_library_when_used() -> None:
    modules = imported_after("from casework.documents.templates import check_tags, shipped\n"
                             "check_tags(shipped('acceptance_notice'))")
    assert "docxtpl" in modules
