"""The loopback cluster (cluster.py) for the checks in this folder, started
once per session, and their place in RELIABILITY.md: they are part of the
reliability suite (``pytest -m "reliability or cluster"``), whose
session-end hook in tests/reliability/conftest.py writes the report."""

from __future__ import annotations

import asyncio

import pytest

from tests.reliability import harness, report_file

pytestmark = pytest.mark.cluster

# Run by themselves (``pytest -m cluster tests/cluster``) the checks still
# leave their figures, in .reliability-partial.md: the hooks are the same
# as tests/reliability's and write once per session.
harness.RESULTS_FILE.unlink(missing_ok=True)


def pytest_runtest_logreport(report):
    report_file.RUN.log(report)


def pytest_sessionfinish(session, exitstatus):
    report_file.session_finished(session, exitstatus)


def pytest_terminal_summary(terminalreporter):
    report_file.terminal_summary(terminalreporter)


@pytest.fixture(scope="session")
def cluster():
    from tests.cluster.cluster import Cluster

    # Both instances sweep every second (they race for the same clocks) and
    # share a clock file (absent: the wall clock) that test_two_instances
    # moves on; webhooks may go to a receiver on loopback. Read routing is
    # on (cluster.py) and checks the standby twice a second, with a lag
    # limit test_read_routing crosses on purpose.
    started = Cluster()
    started.service_env.update({
        "CASEWORK_SWEEP_INTERVAL_SECONDS": "1", "CASEWORK_CLOCK_FILE": str(started.root / "clock"),
        "CASEWORK_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "CASEWORK_WEBHOOK_BACKOFF_BASE_SECONDS": "1",
        "CASEWORK_READ_MAX_LAG_SECONDS": "5", "CASEWORK_READ_CHECK_SECONDS": "0.5"})
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
async def healthy_cluster(cluster):
    """The cluster as a check found it: a leader, a synchronous standby, both services ready."""
    await asyncio.to_thread(cluster.wait_healthy, 120)
    await asyncio.to_thread(cluster.wait_for_balancer, 60)
    return cluster
