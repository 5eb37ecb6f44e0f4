"""Fixtures of the reliability suite and the hook that writes RELIABILITY.md.

Run it with ``.venv/bin/pytest -m reliability`` (CI sizes) or with
``CASEWORK_RELIABILITY_FULL=1`` for the full sizes. Each check records its
figures (``harness.record``); when the session ends, the figures of the
checks that ran are written as the table in RELIABILITY.md if every check
ran, else in .reliability-partial.md (see report_file.py).
"""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from tests.reliability import harness, report_file

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="session")
def postgres():
    server = harness.PostgresServer()
    server.init()
    server.start()
    _run.postgres = server.version()  # for the report's header, whichever checks use it
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
_run = report_file.Run()


def pytest_deselected(items):
    _run.deselected.update(item.nodeid for item in items if item.path.resolve().parent == report_file.HERE)


def pytest_runtest_logreport(report):
    if "reliability" not in report.keywords:
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _run.outcomes[report.nodeid] = ("skipped", reason.removeprefix("Skipped: "))
    elif report.failed:
        _run.outcomes[report.nodeid] = ("failed", report.when)
    elif report.when == "call":
        _run.outcomes.setdefault(report.nodeid, ("passed", ""))


_written: dict[str, object] = {}


def pytest_sessionfinish(session, exitstatus):
    if not _run.outcomes:  # no check ran (the plain suite, --collect-only)
        return
    rows = []
    if harness.RESULTS_FILE.exists():
        rows = [json.loads(line) for line in harness.RESULTS_FILE.read_text().splitlines() if line.strip()]
    not_run = _run.not_run(exitstatus)
    path = harness.REPO_DIR / (report_file.PARTIAL_REPORT if not_run else report_file.REPORT)
    path.write_text(report_file.render(rows, _run, repo=harness.REPO_DIR, full=harness.FULL, not_run=not_run,
                                       args=session.config.invocation_params.args))
    _written.update(path=path, not_run=not_run)


def pytest_terminal_summary(terminalreporter):
    if not _written:
        return
    terminalreporter.section("reliability report")
    if _written["not_run"]:
        terminalreporter.write_line(f"partial run: figures written to {_written['path']}; "
                                    f"{report_file.REPORT} left as the last complete run wrote it. Left out:")
        for why in _written["not_run"]:
            terminalreporter.write_line(f"  {why}")
    else:
        terminalreporter.write_line(f"complete run: {_written['path']} rewritten")
