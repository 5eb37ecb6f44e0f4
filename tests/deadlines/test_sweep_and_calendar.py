"""The sweep marks due-soon and breached clocks exactly once; an admin adds
a year to the calendar and the clocks that needed it are recomputed."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from casework import timeutil
from casework.deadlines.sweep import sweep
from tests.support import act, dispute, petition


async def test_sweep_marks_due_soon_and_breached_exactly_once_with_two_sweeps_racing(users, db):
    soon = (await users["clerk"].post("/api/v1/cases", json=petition(summary="即将到期"))).json()
    late = (await users["clerk"].post("/api/v1/cases", json=petition(summary="已经超期"))).json()
    # Time passing, set up directly: one clock is due tomorrow, one ran out 3 days ago.
    await db.execute("UPDATE clock SET due_on = (casework_now() AT TIME ZONE 'Asia/Shanghai')::date + 1 WHERE case_id = $1", soon["id"])
    await db.execute("UPDATE clock SET due_on = (casework_now() AT TIME ZONE 'Asia/Shanghai')::date - 3 WHERE case_id = $1", late["id"])

    results = await asyncio.gather(sweep(), sweep(), sweep())
    worked = [r for r in results if "skipped" not in r]
    assert worked, results
    again = await sweep()
    assert again["marked_due_soon"] == 0 and again["marked_breached"] == 0

    for case, event in ((soon, "clock_due_soon"), (late, "clock_breached")):
        count = await db.fetchval("SELECT count(*) FROM case_event WHERE case_id = $1 AND type = $2",
                                  case["id"], event)
        assert count == 1, (case["reference"], event)
        outbox = await db.fetch("SELECT * FROM outbox WHERE case_id = $1 AND type = $2", case["id"], event)
        assert len(outbox) == 1
        # The same payload as every other event's outbox row (cases.events): the event as stored.
        expected = await db.fetchval(
            """SELECT jsonb_build_object('event_id', e.id, 'type', e.type, 'case', c.reference, 'at', casework_rfc3339(e.at),
                                         'data', e.data)::text
               FROM case_event e JOIN case_file c ON c.id = e.case_id WHERE e.case_id = $1 AND e.type = $2""",
            case["id"], event)
        assert outbox[0]["payload"] == expected
    items = await db.fetch("SELECT * FROM supervision WHERE case_id = $1", late["id"])
    assert len(items) == 1 and items[0]["state"] == "open" and items[0]["clock_id"] is not None
    bureau = await db.fetchval("SELECT code FROM body WHERE id = $1", items[0]["body_id"])
    # The county bureau handles it; the bureau above supervises it (the registry's body kinds).
    assert bureau == "CZ-PB"
    breach = await db.fetchval(
        "SELECT data FROM case_event WHERE case_id = $1 AND type = 'clock_breached'", late["id"])
    assert '"days_late": 3' in breach
    detail = (await users["supervisor"].get(f"/api/v1/cases/{late['reference']}")).json()
    assert detail["proceeding"]["clocks"][0]["status"] == "breached"


async def test_the_sweep_runs_from_the_api_for_supervisors_only(users):
    assert (await users["clerk"].post("/api/v1/deadlines/sweep")).status_code == 403
    response = await users["supervisor"].post("/api/v1/deadlines/sweep")
    assert response.status_code == 200 and "marked_breached" in response.json()


async def test_an_unknown_year_is_reported_then_an_admin_adds_it_and_clocks_are_recomputed(users, db):
    # A reconsideration decision clock started today runs 60 days: into 2027.
    created = await users["officer"].post("/api/v1/cases", json=dispute(
        category="urban_management",
        parties=[{"role": "applicant", "kind": "person", "name": "赵一"},
                 {"role": "respondent", "kind": "agency", "name": "某城管执法局"}],
        requested_track="reconsideration", override_reason="申请人直接申请复议"))
    ref = created.json()["reference"]
    accepted = (await act(users["reconsideration"], ref, "accept")).json()
    decision = next(c for c in accepted["proceeding"]["clocks"] if c["time_limit"] == "reconsideration.decision")
    from casework.deadlines.service import holiday_calendar

    if dt.date.fromisoformat(decision["due_on"]).year in (await holiday_calendar()).known_years:
        pytest.skip("the 60-day period from today stays inside a year the calendar knows")
    assert decision["calendar_incomplete"] is True and decision["calendar_note"]
    report = await sweep()
    assert report["calendar_incomplete"].get("reconsideration.decision", 0) >= 1 and report["calendar_note"]

    year_2027 = {"source": "国务院办公厅关于2027年部分节假日安排的通知 (test data)", "days": [
        {"day": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"day": "2027-01-25", "kind": "holiday", "name": "test holiday"},
        {"day": "2027-01-26", "kind": "holiday", "name": "test holiday"},
        {"day": "2027-01-27", "kind": "holiday", "name": "test holiday"},
        {"day": "2027-01-30", "kind": "workday", "name": "调休"}]}
    assert (await users["clerk"].put("/api/v1/calendar/2027", json=year_2027)).status_code == 403
    response = await users["admin"].put("/api/v1/calendar/2027", json=year_2027)
    assert response.status_code == 200, response.text
    assert response.json()["recomputed_clocks"] >= 1
    try:
        after = (await users["officer"].get(f"/api/v1/cases/{ref}")).json()
        clock = next(c for c in after["proceeding"]["clocks"] if c["time_limit"] == "reconsideration.decision")
        assert clock["calendar_incomplete"] is False
        due = dt.date.fromisoformat(clock["due_on"])
        assert due not in {dt.date(2027, 1, 1), dt.date(2027, 1, 25), dt.date(2027, 1, 26), dt.date(2027, 1, 27)}
        assert after["next_due_on"] == min(c["due_on"] for c in after["proceeding"]["clocks"]
                                           if c["state"] == "running")
        calendar = (await users["clerk"].get("/api/v1/calendar/2027")).json()
        assert calendar["known"] is True and len(calendar["days"]) == 5
        change = await db.fetchrow("SELECT * FROM admin_event WHERE entity = 'calendar_year' AND key = '2027'")
        assert change is not None
    finally:
        # Leave the calendar as the other tests expect it (2027 unknown).
        await db.execute("DELETE FROM calendar_day WHERE day >= '2027-01-01' AND day < '2028-01-01'")
        await db.execute("DELETE FROM calendar_year WHERE year = 2027")
        from casework.cache import invalidate

        invalidate("calendar")


async def test_backlog_upkeep_folds_past_days_daily_and_purges_zero_rows_weekly(users, db):
    from casework.deadlines.sweep import backlog_housekeeping

    today = timeutil.today()
    await db.execute("DELETE FROM maintenance_run")
    # A dated row whose day has passed, and a row whose count came back to zero.
    await db.execute(
        """INSERT INTO backlog_tally (scope, dim, value, due_on, n) VALUES
           ('9999', 'track', 'petition', $1, 2), ('9999', 'track', 'petition', '-infinity', 1),
           ('9999', 'stage', 'accepted', 'infinity', 0)""", today - dt.timedelta(days=1))
    first = await backlog_housekeeping(today)
    assert first["backlog_rows_folded"] >= 1 and first["backlog_zero_rows_purged"] >= 1
    # The dated row went into the overdue (-infinity) row: 2 + 1; the zero row is gone.
    rows = [(r["dim"], r["overdue"], r["n"]) for r in await db.fetch(
        "SELECT dim, due_on = '-infinity'::date AS overdue, n FROM backlog_tally WHERE scope = '9999'")]
    assert rows == [("track", True, 3)]
    # A zero row again within the week stays until the week has passed.
    await db.execute("INSERT INTO backlog_tally (scope, dim, value, due_on, n) "
                     "VALUES ('9999', 'stage', 'accepted', 'infinity', 0)")
    assert (await backlog_housekeeping(today))["backlog_zero_rows_purged"] is None
    assert await db.fetchval("SELECT count(*) FROM backlog_tally WHERE scope = '9999' AND n = 0") == 1
    await db.execute("UPDATE maintenance_run SET last_on = last_on - 7 WHERE task = 'backlog_purge_zero'")
    assert (await backlog_housekeeping(today))["backlog_zero_rows_purged"] >= 1
    assert await db.fetchval("SELECT count(*) FROM backlog_tally WHERE scope = '9999' AND n = 0") == 0
    await db.execute("DELETE FROM backlog_tally WHERE scope = '9999'")


async def test_the_api_sweep_also_does_the_backlog_upkeep(users):
    report = (await users["supervisor"].post("/api/v1/deadlines/sweep")).json()
    assert "marked_breached" in report and "backlog_rows_folded" in report
