"""Fixtures of the reliability suite and the hook that writes RELIABILITY.md.

Run it with ``.venv/bin/pytest -m "reliability or cluster"`` (CI sizes) or with
``CASEWORK_RELIABILITY_FULL=1`` for the full sizes. Each check records its
figures (``harness.record``); when the session ends, the figures of the
checks that ran are written as the table in RELIABILITY.md if every check
ran, else in .reliability-partial.md (see report_file.py).
"""

from __future__ import annotations

import asyncio

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
_run = report_file.RUN


def pytest_deselected(items):
    _run.deselect(items)


def pytest_runtest_logreport(report):
    _run.log(report)


def pytest_sessionfinish(session, exitstatus):
    report_file.session_finished(session, exitstatus)


def pytest_terminal_summary(terminalreporter):
    report_file.terminal_summary(terminalreporter)
