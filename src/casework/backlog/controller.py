"""HTTP routes for backlog monitoring; every figure is scoped to the caller's
jurisdiction (narrowed further by ``division``). Definitions of each figure:
docs/backlog.md and the ``definitions`` returned by /metrics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Stream

from casework import timeutil
from casework.access.auth import requires
from casework.access.scope import Scope
from casework.backlog import export, metrics, service
from casework.backlog import rankings as ranking
from casework.backlog import trends as trend_report
from casework.backlog.schemas import (
    Aging,
    BacklogMetrics,
    BacklogSummary,
    DueList,
    RankBy,
    Rankings,
    RankSort,
    Trends,
)
from casework.deadlines.service import holiday_calendar
from casework.openapi_shapes import operation_with_file_answer
from casework.problems import invalid
from casework.routes import Cursor

Prefix = Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$", description="division-code prefix")]
Dimension = Literal["body", "division", "track", "stage", "category"]
CSV = "text/csv; charset=utf-8"
ListKind = Literal["open", "overdue", "due_soon"]


def _filters(track: str | None, stage: str | None, category: str | None, body_id: int | None) -> dict[str, Any]:
    return {"track": track, "stage": stage, "category": category, "body_id": body_id}


EARLIEST = dt.date(1990, 1, 1)
LONGEST_PERIOD_DAYS = 366 * 20


def _default_period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period asked for (default: the year to today), within sane bounds:
    dates near year 1 or 9999 overflow date arithmetic, and a thousand years
    of weeks is not a report anyone reads."""
    errors = []
    for name, value in (("from", start), ("to", end)):
        if value is not None and not EARLIEST <= value <= dt.date(2100, 12, 31):
            errors.append({"field": name, "message": "must be between 1990-01-01 and 2100-12-31"})
    if errors:
        raise invalid(errors)
    end = end or timeutil.today()
    start = start or end - dt.timedelta(days=364)
    if start > end:
        raise invalid([{"field": "from", "message": "must not be after to"}])
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise invalid([{"field": "from", "message": "the period may span at most 20 years"}])
    return start, end


def _storable(**params: Any) -> None:
    """Refuse, before streaming starts, what the database cannot take: once
    a CSV stream has begun its status is sent, so a database error in the
    middle could only cut the download short instead of answering 4xx."""
    errors = []
    for name, value in params.items():
        if isinstance(value, str) and "\x00" in value:
            errors.append({"field": name, "message": "must not contain NUL characters"})
        elif isinstance(value, int) and not isinstance(value, bool) and not -2**31 <= value < 2**31:
            errors.append({"field": name, "message": "is out of range"})
    if errors:
        raise invalid(errors)


def _csv(chunks: Any, filename: str, ascii_name: str) -> Stream:
    # filename= must be Latin-1 in a header; filename* (RFC 6266) carries the Chinese name.
    return Stream(
        chunks, media_type=CSV,
        headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
                 "Cache-Control": "no-store"},
    )


class BacklogController(Controller):
    path = "/api/v1/backlog"
    tags = ["backlog"]
    guards = [requires("backlog.read")]

    @get("/summary", summary="Open cases grouped by body, division, track, stage or category, with "
                             "overdue and due-soon counts")
    async def summary(
        self, request: Request,
        group_by: Annotated[list[Dimension] | None, Parameter(description="one or more dimensions")] = None,
        division: Prefix = None,
    ) -> BacklogSummary:
        return await service.backlog_summary(request.user, group_by=list(group_by or ["track"]), division=division)

    @get("/overdue", summary="Open cases whose earliest unstopped clock is past due, most late first")
    async def overdue(
        self, request: Request, division: Prefix = None, track: str | None = None, stage: str | None = None,
        category: str | None = None, body_id: int | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        cursor: Cursor = None,
    ) -> DueList:
        return await service.due_list(request.user, "overdue", division=division,
                                      filters=_filters(track, stage, category, body_id), limit=limit, cursor=cursor)

    @get("/due-soon", summary="Open cases due today or within the due-soon window of working days")
    async def due_soon(
        self, request: Request, division: Prefix = None, track: str | None = None, stage: str | None = None,
        category: str | None = None, body_id: int | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        cursor: Cursor = None,
    ) -> DueList:
        return await service.due_list(request.user, "due_soon", division=division,
                                      filters=_filters(track, stage, category, body_id), limit=limit, cursor=cursor)

    @get("/aging", summary="Open cases in age buckets (0-15, 16-30, 31-60, 61-90, over 90 days)")
    async def aging(self, request: Request, division: Prefix = None) -> Aging:
        return await service.aging(request.user, division=division)

    @get("/trends", summary="Intake and closures per week or month, by kind")
    async def trends(
        self, request: Request,
        start: Annotated[dt.date | None, Parameter(query="from")] = None,
        end: Annotated[dt.date | None, Parameter(query="to")] = None,
        interval: Literal["week", "month"] = "week",
        division: Prefix = None,
    ) -> Trends:
        start, end = _default_period(start, end)
        return await trend_report.trends(request.user, start=start, end=end, interval=interval, division=division)

    @get("/metrics", summary="On-time conclusion, mediation success, repeat petitions, days to conclusion, "
                             "satisfaction; each with its definition")
    async def metrics(
        self, request: Request,
        start: Annotated[dt.date | None, Parameter(query="from")] = None,
        end: Annotated[dt.date | None, Parameter(query="to")] = None,
        division: Prefix = None,
    ) -> BacklogMetrics:
        start, end = _default_period(start, end)
        return await metrics.metrics(request.user, start=start, end=end, division=division)

    @get("/rankings", summary="Divisions, bodies or categories ranked by overdue rate or on-time conclusion "
                              "rate, worst first, with the counts behind each rate and the previous period")
    async def rankings(
        self, request: Request,
        by: RankBy = "division",
        depth: Annotated[int | None, Parameter(ge=1, le=12, description="divisions: the level ranked, as the "
                                               "length of its code prefix (6 county, 9 township, 12 village); "
                                               "default one level below the scope")] = None,
        sort: RankSort = "overdue_rate",
        start: Annotated[dt.date | None, Parameter(query="from")] = None,
        end: Annotated[dt.date | None, Parameter(query="to")] = None,
        previous_start: Annotated[dt.date | None, Parameter(query="previous_from")] = None,
        previous_end: Annotated[dt.date | None, Parameter(query="previous_to")] = None,
        division: Prefix = None,
    ) -> Rankings:
        start, end = _default_period(start, end)
        if (previous_start is None) != (previous_end is None):
            raise invalid([{"field": "previous_from", "message": "give both previous_from and previous_to, or neither"}])
        if previous_start is None:
            previous = ranking.previous_period(start, end)
        else:
            previous = _default_period(previous_start, previous_end)
        return await ranking.rankings(request.user, by=by, depth=depth, sort=sort, start=start, end=end,
                                       previous=previous, division=division)

    @get("/export.csv", guards=[requires("backlog.export")], media_type=CSV,
         summary="The open, overdue or due-soon list as CSV "
         "(streamed, UTF-8 with BOM)",
         operation_class=operation_with_file_answer(CSV, "The list as CSV, UTF-8 with a BOM, one row per case",
                                                    binary=False))
    async def export_csv(
        self, request: Request, list_: Annotated[ListKind, Parameter(query="list")] = "overdue",
        division: Prefix = None, track: str | None = None, stage: str | None = None,
        category: str | None = None, body_id: int | None = None,
    ) -> Stream:
        _storable(track=track, stage=stage, category=category, body_id=body_id)
        scope = service.scope_for(request.user, division) or Scope.nothing()  # outside: no rows
        today, soon = await service.as_of()
        chunks = export.backlog_export(scope, list_, today, soon, _filters(track, stage, category, body_id),
                                       await holiday_calendar())
        return _csv(chunks, f"积案清单-{list_}-{today.isoformat()}.csv", f"backlog-{list_}-{today.isoformat()}.csv")


class CaseExportController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]

    @get("/export.csv", guards=[requires("case.export")], media_type=CSV,
         summary="The case list as CSV (streamed)",
         operation_class=operation_with_file_answer(CSV, "The case list as CSV, one row per case", binary=False))
    async def export_cases(
        self, request: Request, status: str | None = None, track: str | None = None, stage: str | None = None,
        category: str | None = None, division: Prefix = None, body_id: int | None = None,
        kind: str | None = None, collective: bool | None = None, risk_level: str | None = None,
        received_from: dt.datetime | None = None, received_to: dt.datetime | None = None,
    ) -> Stream:
        _storable(status=status, track=track, stage=stage, category=category, body_id=body_id, kind=kind,
                  risk_level=risk_level)
        scope = service.scope_for(request.user, division) or Scope.nothing()  # outside: no rows
        filters = {"status": status, "track": track, "stage": stage, "category": category, "body_id": body_id,
                   "kind": kind, "collective": collective, "risk_level": risk_level,
                   "received_from": received_from, "received_to": received_to}
        today = timeutil.today().isoformat()
        return _csv(export.cases_export(scope, filters), f"案件清单-{today}.csv", f"cases-{today}.csv")
