"""The holiday calendar (admins add or correct a year) and the sweep."""

from __future__ import annotations

from litestar import Controller, Request, get, post, put

from casework.access.auth import requires
from casework.deadlines.calendar_years import calendar_year, correct_calendar_year
from casework.deadlines.schemas import (
    CalendarYear,
    CalendarYearSaved,
    CalendarYearWrite,
    SweepResult,
)
from casework.deadlines.sweep import sweep_and_upkeep


class CalendarController(Controller):
    path = "/api/v1"
    tags = ["deadlines"]

    @get("/calendar/{year:int}", guards=[requires("reference.read")], summary="Holidays and adjusted working days")
    async def get_year(self, year: int) -> CalendarYear:
        return await calendar_year(year)

    @put("/calendar/{year:int}", guards=[requires("calendar.write")],
         summary="Add or correct a year's holidays (admin); every clock it touches is recomputed, stopped ones "
                 "included, and breaches that no longer hold are withdrawn")
    async def put_year(self, request: Request, year: int, data: CalendarYearWrite) -> CalendarYearSaved:
        return await correct_calendar_year(year, data, request.user)

    @post("/deadlines/sweep", guards=[requires("sweep.run")], status_code=200,
          summary="Run the deadline sweep now (it also runs on an interval)")
    async def run_sweep(self) -> SweepResult:
        return await sweep_and_upkeep()
