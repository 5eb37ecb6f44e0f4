"""Actions on a case's current proceeding, and the caller's work queue."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.cases import core
from casework.proceedings import service
from casework.proceedings.schemas import ActionRequest


class ActionController(Controller):
    path = "/api/v1"
    tags = ["proceedings"]

    @post(
        "/cases/{reference:str}/actions/{action:str}",
        guards=[requires("case.act")],
        status_code=200,
        summary="Take an action on the case's current proceeding (needs If-Match)",
        description=(
            "Actions: accept, decline, assign, record_session, pause_clock, resume_clock, extend_deadline, "
            "conclude, escalate, request_review, request_re_review, supervise, close, reopen. Which states, "
            "roles and fields each needs is in the track's transition table (docs/proceedings.md); the case "
            "detail lists `allowed_actions` for the caller. A stale If-Match gets 412, a missing one 428."
        ),
    )
    async def act(
        self,
        request: Request,
        reference: str,
        action: str,
        data: ActionRequest,
        if_match: Annotated[str | None, Parameter(header="If-Match", required=False)] = None,
    ) -> Response[dict[str, Any]]:
        body = await service.perform(reference, action, data, actor=request.user, if_match=if_match)
        return Response(body, headers={"ETag": core.etag(body["id"], body["version"])})

    @get("/queue", guards=[requires("queue.read")], summary="My work: assigned to me or to my body, due first")
    async def queue(
        self,
        request: Request,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=80)] = None,
    ) -> dict[str, Any]:
        return await service.work_queue(request.user, limit, cursor)
