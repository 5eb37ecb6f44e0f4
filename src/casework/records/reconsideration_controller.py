"""The write route for a case's reconsideration decisions, under
``records.write`` with the case's ETag in If-Match (412 stale, 428
missing), answering the decision and the case's new ETag. Their reads come
from records/read_routes.py."""

from __future__ import annotations

from litestar import Controller, Request, Response, post

from casework.access.auth import requires
from casework.records import reconsideration
from casework.records import schemas as s
from casework.records.read_routes import read_routes
from casework.routes import IfMatch, with_etag

WRITE = [requires("records.write")]


class ReconsiderationRecordController(Controller):
    """The decision that concludes a reconsideration, with the party's window to sue."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    list_decisions, get_decision = read_routes("reconsideration-decisions")

    @post("/reconsideration-decisions", guards=WRITE, status_code=201,
          summary="Record the decision (concludes an accepted reconsideration with the decision type)")
    async def create_decision(self, request: Request, reference: str, data: s.DecisionCreate,
                              if_match: IfMatch = None) -> Response[s.DecisionRead]:
        return with_etag(await reconsideration.record_decision(reference, data, actor=request.user,
                                                               if_match=if_match), 201)
