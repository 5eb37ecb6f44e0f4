"""HTTP routes for supervision items (督办). Opening one is the case action
``supervise`` (POST /api/v1/cases/{reference}/actions/supervise); here they
are read, answered and closed."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.supervision import service
from casework.supervision.schemas import (
    CaseSupervision,
    CloseRequest,
    ResponseCreate,
    State,
    SupervisionItem,
    SupervisionList,
)

IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]


class CaseSupervisionController(Controller):
    path = "/api/v1/cases/{reference:str}/supervision"
    tags = ["supervision"]

    @get("/", guards=[requires("case.read")], summary="The case's supervision items (督办), oldest first")
    async def list_for_case(self, request: Request, reference: str) -> CaseSupervision:
        return CaseSupervision(reference=reference, items=await service.for_case(reference, request.user))

    @post("/{item_id:int}/response", guards=[requires("case.act")], status_code=200,
          summary="The handling body answers a supervision item (once; needs If-Match)")
    async def respond(self, request: Request, reference: str, item_id: int, data: ResponseCreate,
                      if_match: IfMatch = None) -> Response[SupervisionItem]:
        item, etag = await service.respond(reference, item_id, data.response, request.user, if_match)
        return Response(item, headers={"ETag": etag})

    @post("/{item_id:int}/close", guards=[requires("supervision.manage")], status_code=200,
          summary="A supervisor closes a supervision item, saying why (needs If-Match)")
    async def close(self, request: Request, reference: str, item_id: int, data: CloseRequest,
                    if_match: IfMatch = None) -> Response[SupervisionItem]:
        item, etag = await service.close(reference, item_id, data.reason, request.user, if_match)
        return Response(item, headers={"ETag": etag})


class SupervisionController(Controller):
    path = "/api/v1/supervision"
    tags = ["supervision"]

    @get("/", guards=[requires("backlog.read")],
         summary="Supervision items on cases in your jurisdiction, newest first")
    async def list_in_scope(
        self, request: Request,
        item_state: Annotated[State | None, Parameter(query="state", description="open or closed")] = None,
        division: Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$")] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=80)] = None,
    ) -> SupervisionList:
        return SupervisionList(**await service.in_scope(request.user, state=item_state, division=division, limit=limit,
                                                        cursor=cursor))
