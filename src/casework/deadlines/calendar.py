"""Counting statutory periods (Civil Procedure Law rules on periods).

- The day on which a period starts is not counted.
- A period in days or months whose last day is a rest day (a public holiday,
  or a weekend that is not an adjusted working day) ends on the first
  working day after it. The Supreme People's Court counts weekends as
  statutory rest days (法定休假日) for this rule.
- A period in working days counts only working days: weekdays that are not
  public holidays, plus adjusted working weekends (调休).
- Paused time is not counted: it is added back in the clock's own unit.

The holiday schedule is data (``calendar_day``, seeded from the
``chinese-calendar`` package, editable by an administrator). A date in a year
the calendar does not know is counted with the weekend rule only, and the
result says ``calendar_incomplete`` instead of pretending to be sure.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
from dataclasses import dataclass, field

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)  # adjusted working weekends
    known_years: frozenset[int] = field(default_factory=frozenset)

    def knows(self, day: dt.date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class DueDate:
    due_on: dt.date
    calendar_incomplete: bool
    unknown_years: tuple[int, ...] = ()


def add_months(start: dt.date, months: int) -> dt.date:
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last = _stdcal.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))


class _Tracker:
    """Remembers which unknown years a computation touched."""

    def __init__(self, cal: HolidayCalendar) -> None:
        self.cal = cal
        self.unknown: set[int] = set()

    def working(self, day: dt.date) -> bool:
        if not self.cal.knows(day):
            self.unknown.add(day.year)
        return self.cal.is_working_day(day)


def compute_due(
    cal: HolidayCalendar,
    start: dt.date,
    length: int,
    unit: str,
    *,
    extra_days: int = 0,
) -> DueDate:
    """The last day of a period of ``length`` ``unit`` starting on ``start``.

    ``extra_days`` (paused time and extensions already converted to the
    clock's unit; calendar days for ``months`` and ``years``) is added before
    the rest-day rule is applied. A month or year ends on the same day of
    the month (the last day of a shorter month).
    """
    track = _Tracker(cal)
    if unit == "working_days":
        day = start
        remaining = length + extra_days
        while remaining > 0:
            day += ONE_DAY
            if track.working(day):
                remaining -= 1
    elif unit == "days":
        day = start + dt.timedelta(days=length + extra_days)
        day = _roll_forward(track, day)
    elif unit in ("months", "years"):
        day = add_months(start, length * (12 if unit == "years" else 1)) + dt.timedelta(days=extra_days)
        day = _roll_forward(track, day)
    else:
        raise ValueError(f"unknown unit {unit!r}")
    return DueDate(day, bool(track.unknown), tuple(sorted(track.unknown)))


def _roll_forward(track: _Tracker, day: dt.date) -> dt.date:
    while not track.working(day):
        day += ONE_DAY
    return day


def units_between(cal: HolidayCalendar, first: dt.date, last_exclusive: dt.date, unit: str) -> int:
    """How many units of time lie in [first, last_exclusive): used for pauses."""
    if last_exclusive <= first:
        return 0
    if unit == "working_days":
        count, day = 0, first
        while day < last_exclusive:
            if cal.is_working_day(day):
                count += 1
            day += ONE_DAY
        return count
    return (last_exclusive - first).days


def working_days_until(cal: HolidayCalendar, today: dt.date, due_on: dt.date) -> int:
    """Working days from today (exclusive) to due_on (inclusive); negative if past."""
    if due_on < today:
        return -units_between(cal, due_on + ONE_DAY, today + ONE_DAY, "working_days") or -1
    return units_between(cal, today + ONE_DAY, due_on + ONE_DAY, "working_days")
