"""``casework serve --demo`` on a fresh database shows the product on its
first day: some cases are breached, some due soon, counted by the real
deadline engine from the day the demo starts (the clock seam fixes that day)."""

from __future__ import annotations

import datetime as dt
import secrets

import asyncpg
import httpx
import pytest

from casework.bootstrap import DEMO_PASSWORD
from tests.conftest import ADMIN_URL, _with_database
from tests.test_serving import Served

DEMO_DAY = "2026-12-09T09:00:00+08:00"  # a Wednesday
# Before 08:00 in Beijing the UTC date is still the day before: the demo's
# session was once dated by it, before the case was received, and the
# service would not start.
EARLY_MORNING = "2026-12-09T07:30:00+08:00"


@pytest.mark.parametrize("demo_starts_at", [DEMO_DAY, EARLY_MORNING], ids=["morning", "before_8_beijing"])
async def test_the_demo_starts_with_breached_and_due_soon_cases_on_the_day_it_runs(database, tmp_path,
                                                                                   demo_starts_at):
    name = f"casework_demo_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    clock_file = tmp_path / "clock"
    clock_file.write_text(demo_starts_at)
    # Background tasks on: the sweep runs at start and must leave the demo's story standing.
    served = Served("demo", "--demo", "--force", CASEWORK_DATABASE_URL=_with_database(ADMIN_URL, name),
                    CASEWORK_CLOCK_FILE=str(clock_file), CASEWORK_BACKGROUND_TASKS="1")
    try:
        served.start(timeout=180)
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            token = (await client.post("/api/v1/auth/token",
                                       json={"username": "bureau", "password": DEMO_PASSWORD})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            overdue = (await client.get("/api/v1/backlog/overdue", headers=headers)).json()
            due_soon = (await client.get("/api/v1/backlog/due-soon", headers=headers)).json()
            summary = await client.get("/api/v1/backlog/summary", headers=headers)
        today = dt.date(2026, 12, 9)
        assert overdue["as_of"] == str(today)
        assert len(overdue["items"]) >= 2, overdue
        for item in overdue["items"]:
            assert dt.date.fromisoformat(item["clock"]["due_on"]) < today
            assert item["working_days_overdue"] >= 1 and item["clock"]["status"] == "breached"
        assert len(due_soon["items"]) >= 2, due_soon
        for item in due_soon["items"]:
            due_on = dt.date.fromisoformat(item["clock"]["due_on"])
            assert today <= due_on <= dt.date.fromisoformat(due_soon["due_soon_until"])
        # Received in the past on the business clock: the timeline says so.
        received = sorted(dt.datetime.fromisoformat(i["received_at"]).date() for i in overdue["items"])
        assert received[0] < today - dt.timedelta(days=7)
        assert summary.status_code == 200, summary.text
    finally:
        served.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
