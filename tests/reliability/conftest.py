"""Fixtures of the reliability suite and the hook that writes RELIABILITY.md.

Run it with ``.venv/bin/pytest -m reliability`` (CI sizes) or with
``CASEWORK_RELIABILITY_FULL=1`` for the full sizes. Each check records its
figures (``harness.record``); when the session ends, the figures of the
checks that ran are written as the table in RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess

import asyncpg
import pytest

from tests.reliability import harness

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="session")
def postgres():
    server = harness.PostgresServer()
    server.init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def service_factory(postgres):
    """Start a service on a database of its own: ``await service_factory("outage")``."""
    started: list[harness.ServiceProcess] = []

    async def make(name: str, extra_env: dict[str, str] | None = None) -> harness.ServiceProcess:
        database = f"casework_{name}"
        admin = await asyncpg.connect(postgres.url())
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{database}"')
        finally:
            await admin.close()
        service = harness.ServiceProcess(postgres.url(database), name, extra_env)
        started.append(service)
        await asyncio.to_thread(service.start)
        return service

    yield make
    for service in started:
        service.cleanup()


# ------------------------------------------------------------------ RELIABILITY.md

# A fresh file per session (this conftest is imported once per run).
harness.RESULTS_FILE.unlink(missing_ok=True)
_outcomes: dict[str, tuple[str, str]] = {}


def pytest_runtest_logreport(report):
    if "reliability" not in report.keywords:
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _outcomes[report.nodeid] = ("skipped", reason.removeprefix("Skipped: "))
    elif report.failed:
        _outcomes[report.nodeid] = ("failed", report.when)
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, ("passed", ""))


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def pytest_sessionfinish(session, exitstatus):
    if not _outcomes:
        return
    rows = []
    if harness.RESULTS_FILE.exists():
        rows = [json.loads(line) for line in harness.RESULTS_FILE.read_text().splitlines() if line.strip()]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=harness.REPO_DIR,
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    postgres = next((r["figures"].get("postgres") for r in rows if r["figures"].get("postgres")), "?")
    lines = [
        "# Reliability",
        "",
        "Written by the reliability suite (`tests/reliability/`), not by hand: "
        "`.venv/bin/pytest -m reliability` (CI sizes) or "
        "`CASEWORK_RELIABILITY_FULL=1 .venv/bin/pytest -m reliability` (full sizes) rewrites this file.",
        "Each check drives the real service (`casework serve`, uvicorn) over HTTP on 127.0.0.1 against a "
        "PostgreSQL of its own that the suite may stop and start.",
        "",
        f"Last run: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}, commit {commit}, "
        f"sizes: {'full' if harness.FULL else 'CI'}, {postgres}.",
        "",
        "| check | what was tried | how much | what held | lost | result |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row[k]) for k in ("check", "tried", "amount", "held", "lost"))
                     + f" | {'held' if row['ok'] else '**FAILED**'} |")
    recorded = {r["figures"].get("nodeid") for r in rows}
    for nodeid, (outcome, why) in _outcomes.items():
        if nodeid in recorded:
            continue
        name = nodeid.split("::")[-1]
        if outcome == "skipped":
            lines.append(f"| {_cell(name)} | not run | — | — | — | skipped: {_cell(why)} |")
        elif outcome == "failed":
            lines.append(f"| {_cell(name)} | failed before recording figures ({why}) | — | — | — | **FAILED** |")
    lines += ["", "Figures per check (raw, as recorded):", "", "```json"]
    for row in rows:
        lines.append(json.dumps({"check": row["check"], **row["figures"]}, ensure_ascii=False, default=str))
    lines += ["```", ""]
    (harness.REPO_DIR / "RELIABILITY.md").write_text("\n".join(lines))
