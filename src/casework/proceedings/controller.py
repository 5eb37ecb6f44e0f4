"""Actions on a case's current proceeding, and the caller's work queue.

Each action has its own route (``POST /api/v1/cases/{reference}/actions/accept``
and so on), made from ``proceedings.schemas.ACTION_BODIES``: the OpenAPI
document shows each one's body, and a client generator gives each its own
call. A path naming no action is a 404 that says so.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import Parameter

from casework.access.auth import requires
from casework.cases import core
from casework.cases import read as cases
from casework.cases.schemas import CaseDetail
from casework.openapi_doc import camel
from casework.openapi_shapes import operation_with_body
from casework.proceedings import correction, queue, service
from casework.proceedings.schemas import ACTION_BODIES, EffectiveDateCorrection, WorkQueue
from casework.proceedings.tracks import registry
from casework.routes import Cursor, IfMatch

_ABOUT = (
    "Every action carries effective_on (the day it took effect, today when omitted; before today with "
    "backdate_reason). Which states and roles it needs is in the track's transition table "
    "(docs/proceedings.md); the case detail lists `allowed_actions` for the caller. A stale If-Match "
    "gets 412, a missing one 428; a missing required field 422 naming each."
)


async def _take(request: Request, reference: str, action: str, if_match: str | None) -> Response[CaseDetail]:
    data = service.decode_body(action, await request.body())
    body = await service.perform(reference, action, data, actor=request.user, if_match=if_match,
                                 render=cases.case_detail)
    return Response(body, headers={"ETag": core.etag(body.id, body.version)})


def _action_route(action: str, shape: type) -> HTTPRouteHandler:
    label = registry().words["actions"][action]

    async def take(request: Request, reference: str, if_match: IfMatch = None) -> Response[CaseDetail]:
        return await _take(request, reference, action, if_match)

    return post(
        f"/api/v1/cases/{{reference:str}}/actions/{action}", guards=[requires("case.act")], status_code=200,
        name=f"case-action-{action}", operation_id=f"{camel(action)}Action", tags=["proceedings"],
        summary=f"{label.label_en} ({label.label_zh})",
        description=f"{(shape.__doc__ or '').strip()}\n\n{_ABOUT}".strip(),
        operation_class=operation_with_body(shape, f"{action}: {shape.__name__}"),
    )(take)


ACTION_ROUTES = [_action_route(action, shape) for action, shape in ACTION_BODIES.items()]


class ActionController(Controller):
    path = "/api/v1"
    tags = ["proceedings"]

    @post("/cases/{reference:str}/actions/{action:str}", guards=[requires("case.act")], status_code=200,
          include_in_schema=False)
    async def unknown_action(self, request: Request, reference: str, action: str,
                             if_match: IfMatch = None) -> Response[CaseDetail]:
        # Only reached for a name no action route matched: decode_body answers 404 "action".
        return await _take(request, reference, action, if_match)

    @post("/cases/{reference:str}/events/{event_id:int}/effective-date", guards=[requires("case.act")],
          status_code=200, operation_id="correctEffectiveDate",
          summary="Correct the day an action took effect: the clocks it stopped or started are counted again")
    async def correct_effective_date(self, request: Request, reference: str, event_id: int,
                                     data: EffectiveDateCorrection, if_match: IfMatch = None) -> Response[CaseDetail]:
        body = await correction.correct_effective_date(reference, event_id, data, actor=request.user,
                                                       if_match=if_match, render=cases.case_detail)
        return Response(body, headers={"ETag": core.etag(body.id, body.version)})

    @get("/queue", guards=[requires("queue.read")], summary="My work: assigned to me or to my body, due first")
    async def queue(
        self,
        request: Request,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Cursor = None,
    ) -> WorkQueue:
        return await queue.work_queue(request.user, limit, cursor)
