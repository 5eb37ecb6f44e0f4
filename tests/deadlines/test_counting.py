"""Counting statutory periods across National Day, the Spring Festival and
adjusted working weekends, for every seeded time limit."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import chinese_calendar
import pytest

from casework.deadlines.calendar import add_months, compute_due
from casework.deadlines.service import holiday_calendar

D = dt.date
LIMITS = json.loads(resources.files("casework.reference").joinpath("data", "time_limits.json").read_text())[
    "time_limits"]
# Starts just before National Day 2026 (Oct 1-7, Oct 10 a working Saturday) and
# the Spring Festival 2026 (Feb 15-23, Feb 14 and 28 working Saturdays).
STARTS = [D(2026, 9, 24), D(2026, 9, 30), D(2026, 2, 10), D(2026, 2, 13), D(2026, 1, 30)]


def expected_due(start: dt.date, length: int, unit: str) -> dt.date:
    """An independent count straight from chinese_calendar's own answers."""
    if unit == "working_days":
        day, left = start, length
        while left:
            day += dt.timedelta(days=1)
            if chinese_calendar.is_workday(day):
                left -= 1
        return day
    day = start + dt.timedelta(days=length) if unit == "days" else add_months(start, length)
    while not chinese_calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


@pytest.mark.parametrize("limit", LIMITS, ids=[t["code"] for t in LIMITS])
@pytest.mark.parametrize("start", STARTS, ids=[s.isoformat() for s in STARTS])
async def test_every_seeded_limit_counts_like_the_official_calendar(app, limit, start):
    cal = await holiday_calendar()
    due = compute_due(cal, start, limit["length"], limit["unit"])
    if due.due_on.year <= 2026:
        assert due.due_on == expected_due(start, limit["length"], limit["unit"])
        assert not due.calendar_incomplete


@pytest.mark.parametrize("start, length, unit, due", [
    (D(2026, 9, 25), 5, "working_days", D(2026, 10, 9)),    # Sep 28-30, Oct 8, 9
    (D(2026, 9, 30), 5, "working_days", D(2026, 10, 13)),   # Oct 8, 9, 10 (working Sat), 12, 13
    (D(2026, 9, 20), 15, "days", D(2026, 10, 8)),           # Oct 5 is National Day: next working day
    (D(2026, 2, 10), 7, "days", D(2026, 2, 24)),            # Feb 17 is Spring Festival
    (D(2026, 2, 11), 3, "days", D(2026, 2, 14)),            # Feb 14 is a working Saturday
    (D(2026, 2, 12), 3, "working_days", D(2026, 2, 24)),    # Feb 13, 14 (Sat), 24
    (D(2026, 4, 1), 6, "months", D(2026, 10, 8)),           # Oct 1 falls in the holiday
    (D(2026, 8, 3), 60, "days", D(2026, 10, 8)),
    (D(2026, 1, 31), 1, "months", D(2026, 2, 28)),          # clamped to Feb 28, a working Saturday
])
async def test_hand_checked_due_dates(app, start, length, unit, due):
    cal = await holiday_calendar()
    assert compute_due(cal, start, length, unit).due_on == due


async def test_a_clock_reaching_into_an_unknown_year_says_so(app):
    cal = await holiday_calendar()
    last_known = max(cal.known_years)  # 2026 with chinese-calendar 1.11; later releases add years
    due = compute_due(cal, D(last_known, 12, 10), 60, "days")
    assert due.calendar_incomplete and due.unknown_years == (last_known + 1,)
    inside = compute_due(cal, D(last_known, 11, 2), 20, "days")
    assert not inside.calendar_incomplete


async def test_pause_and_extension_arithmetic(app):
    cal = await holiday_calendar()
    start = D(2026, 3, 2)
    plain = compute_due(cal, start, 60, "days").due_on               # May 1: Labour Day holiday
    assert plain == expected_due(start, 60, "days")
    paused = compute_due(cal, start, 60, "days", extra_days=10).due_on  # 10 paused days added back
    assert paused == expected_due(start, 70, "days")
    extended = compute_due(cal, start, 60, "days", extra_days=10 + 30).due_on
    assert extended == expected_due(start, 100, "days")
    working = compute_due(cal, D(2026, 9, 28), 5, "working_days", extra_days=2).due_on
    assert working == expected_due(D(2026, 9, 28), 7, "working_days")
