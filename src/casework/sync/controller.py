"""GET /api/v1/sync/changes: what changed in the caller's jurisdiction since a cursor."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter

from casework.access.auth import requires
from casework.sync import service
from casework.sync.schemas import SyncPage


class SyncController(Controller):
    path = "/api/v1/sync"
    tags = ["sync"]
    guards = [requires("sync.read")]

    @get("/changes", summary="Cases changed since the cursor (none: from the start), and the next cursor")
    async def changes(
        self, request: Request,
        since: Annotated[str | None, Parameter(max_length=80)] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 500,
    ) -> SyncPage:
        return await service.changes(request.user, since=since, limit=limit)
