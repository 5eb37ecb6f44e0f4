"""The ``casework`` command keeps an operator from hurting themselves: no
password on the command line, no demo users in a real database, no bench
load among real cases; and serve says how it logs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support_access import client_from
from tests.test_serving import Served

SRC = Path(__file__).resolve().parents[1] / "src"


def casework(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
                   **env}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], input=stdin, env=environment,
                          capture_output=True, text=True, timeout=180)


async def test_users_create_takes_the_password_from_stdin_and_refuses_it_on_the_command_line(app):
    # A client address of its own: a failed sign-in counts against its address, and
    # the services of tests/test_serving.py see this machine's 127.0.0.1.
    anon = client_from(app)
    refused = casework("users", "create", "--username", "cli_argv", "--password", "visible-in-ps-123",
                       "--role", "clerk", "--jurisdiction", "140403")
    assert refused.returncode != 0
    assert "--password is no longer taken" in refused.stderr and "standard input" in refused.stderr
    assert "visible-in-ps-123" not in refused.stderr + refused.stdout
    signed_in = await anon.post("/api/v1/auth/token", json={"username": "cli_argv", "password": "visible-in-ps-123"})
    assert signed_in.status_code == 401  # nothing was created

    made = casework("users", "create", "--username", "cli_stdin", "--role", "clerk", "--jurisdiction", "140403",
                    stdin="piped-password-0123\n")
    assert made.returncode == 0, made.stderr
    assert "user cli_stdin created" in made.stdout
    signed_in = await anon.post("/api/v1/auth/token", json={"username": "cli_stdin", "password": "piped-password-0123"})
    assert signed_in.status_code == 200, signed_in.text
    await anon.aclose()

    empty = casework("users", "create", "--username", "cli_empty", "--role", "clerk", "--jurisdiction", "140403")
    assert empty.returncode != 0 and "no password given" in empty.stderr


def test_serve_demo_refuses_a_database_that_is_not_the_embedded_one(database):
    refused = casework("serve", "--demo", "--port", "1")  # CASEWORK_DATABASE_URL names the test database
    assert refused.returncode != 0
    assert "embedded database only" in refused.stderr and "--force" in refused.stderr


async def test_seed_bench_refuses_a_database_that_already_holds_cases(users, db):
    from tests.support import dispute

    await users["clerk"].post("/api/v1/cases", json=dispute())
    before = await db.fetchval("SELECT count(*) FROM case_file")
    refused = casework("seed-bench", "--cases", "10")
    assert refused.returncode != 0
    assert f"already holds {before} cases" in refused.stderr and "--force" in refused.stderr
    assert await db.fetchval("SELECT count(*) FROM case_file") == before


def test_serve_logs_json_or_console_lines_as_asked(database):
    for log_format in ("console", "json"):
        served = Served(f"log-{log_format}", "--log-format", log_format,
                        CASEWORK_LOG_JSON="0" if log_format == "json" else "1", CASEWORK_LOG_LEVEL="INFO")
        try:
            served.start()
            assert httpx.get(served.url + "/api/v1/cases", timeout=5).status_code == 401
            # A query string can carry personal data (a search by name or
            # phone): the service's own access line drops it, and uvicorn's
            # own access line (raw path, client address) is not written.
            assert httpx.get(served.url + "/api/v1/cases?q=13800138000", timeout=5).status_code == 401
        finally:
            served.stop_process()
        written = served.log.read_text()
        assert "13800138000" not in written and "uvicorn.access" not in written, written[-2000:]
        lines = [line for line in written.splitlines() if "reference_data_seeded" in line]
        assert lines, written[-2000:]
        if log_format == "json":
            assert json.loads(lines[0])["event"] == "reference_data_seeded"
        else:
            plain = re.sub(r"\x1b\[[0-9;]*m", "", lines[0])  # ConsoleRenderer colours
            assert not plain.startswith("{") and "[info     ] reference_data_seeded" in plain
        served.cleanup()
