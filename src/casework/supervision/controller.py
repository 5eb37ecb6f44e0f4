"""HTTP routes for supervision items (督办). Opening one is the case action
``supervise`` (POST /api/v1/cases/{reference}/actions/supervise); here they
are read, answered and closed."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.routes import Cursor, IfMatch, with_etag
from casework.supervision import schemas as s
from casework.supervision import service


class CaseSupervisionController(Controller):
    path = "/api/v1/cases/{reference:str}/supervision"
    tags = ["supervision"]

    @get("/", guards=[requires("case.read")], summary="The case's supervision items (督办), oldest first")
    async def list_for_case(self, request: Request, reference: str) -> s.CaseSupervision:
        return s.CaseSupervision(reference=reference, items=await service.for_case(reference, request.user))

    @post("/{item_id:int}/response", guards=[requires("case.act")], status_code=200,
          summary="The handling body answers a supervision item (once; needs If-Match)")
    async def respond(self, request: Request, reference: str, item_id: int, data: s.ResponseCreate,
                      if_match: IfMatch = None) -> Response[s.SupervisionItem]:
        return with_etag(await service.respond(reference, item_id, data.response, request.user, if_match))

    @post("/{item_id:int}/close", guards=[requires("supervision.manage")], status_code=200,
          summary="A supervisor closes a supervision item, saying why (needs If-Match)")
    async def close(self, request: Request, reference: str, item_id: int, data: s.CloseRequest,
                    if_match: IfMatch = None) -> Response[s.SupervisionItem]:
        return with_etag(await service.close(reference, item_id, data.reason, request.user, if_match))


class SupervisionController(Controller):
    path = "/api/v1/supervision"
    tags = ["supervision"]

    @get("/", guards=[requires("backlog.read")],
         summary="Supervision items on cases in your jurisdiction, newest first")
    async def list_in_scope(
        self, request: Request,
        item_state: Annotated[s.State | None, Parameter(query="state", description="open or closed")] = None,
        division: Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$")] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Cursor = None,
    ) -> s.SupervisionList:
        return s.SupervisionList(**await service.in_scope(request.user, state=item_state, division=division, limit=limit,
                                                        cursor=cursor))
