"""GET /api/v1/audit/events: who did or saw what, when."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar import Controller, Request, get
from litestar.params import Parameter

from casework.access.auth import requires
from casework.audit import service
from casework.audit.schemas import AuditPage
from casework.routes import Cursor


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/events", guards=[requires("audit.read")],
         summary="Case events and administrators' changes in your jurisdiction, newest first")
    async def list_events(
        self,
        request: Request,
        actor: Annotated[str | None, Parameter(max_length=100, description="username")] = None,
        case: Annotated[str | None, Parameter(max_length=40, description="case reference")] = None,
        action: Annotated[str | None, Parameter(max_length=100,
                                                description="event type, or entity.action for admin changes")] = None,
        since: Annotated[dt.datetime | None, Parameter(query="from")] = None,
        until: Annotated[dt.datetime | None, Parameter(query="to")] = None,
        source: Literal["case", "admin"] | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        cursor: Cursor = None,
    ) -> AuditPage:
        return await service.events(request.user, actor=actor, case=case, action=action, since=since,
                                    until=until, source=source, limit=limit, cursor=cursor)
