"""Actions on a case's current proceeding, and the caller's work queue."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.cases import core
from casework.cases import service as cases
from casework.proceedings import queue, service


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
            "conclude, escalate, request_review, request_re_review, supervise, close, reopen, "
            "request_supplement, supplement_received, withdraw, give_guidance, convert_to_ordinary. Each takes "
            "its own body (docs/proceedings.md); every one carries effective_on (the day it took effect, today "
            "when omitted; before today with backdate_reason). Which states and roles each needs is in the "
            "track's transition table; the case detail lists `allowed_actions` for the caller. A stale "
            "If-Match gets 412, a missing one 428."
        ),
    )
    async def act(
        self,
        request: Request,
        reference: str,
        action: str,
        if_match: Annotated[str | None, Parameter(header="If-Match", required=False)] = None,
    ) -> Response[dict[str, Any]]:
        data = service.decode_body(action, await request.body())
        body = await service.perform(reference, action, data, actor=request.user, if_match=if_match,
                                     render=cases.case_detail)
        return Response(body, headers={"ETag": core.etag(body["id"], body["version"])})

    @get("/queue", guards=[requires("queue.read")], summary="My work: assigned to me or to my body, due first")
    async def queue(
        self,
        request: Request,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=80)] = None,
    ) -> dict[str, Any]:
        return await queue.work_queue(request.user, limit, cursor)
