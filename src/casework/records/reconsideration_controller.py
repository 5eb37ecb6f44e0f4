"""Routes for a case's reconsideration decisions: read under ``case.read``;
recorded under ``records.write`` with the case's ETag in If-Match (412
stale, 428 missing), answering the decision and the case's new ETag."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.records import read, reconsideration
from casework.records import schemas as s

IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]
READ = [requires("case.read")]
WRITE = [requires("records.write")]


class ReconsiderationRecordController(Controller):
    """The decision that concludes a reconsideration, with the party's window to sue."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    @get("/reconsideration-decisions", guards=READ, summary="Reconsideration decisions of the case")
    async def list_decisions(self, request: Request, reference: str) -> s.DecisionList:
        return await read.decision_list(reference, request.user)

    @get("/reconsideration-decisions/{record_id:int}", guards=READ, summary="One reconsideration decision")
    async def get_decision(self, request: Request, reference: str, record_id: int) -> s.DecisionRead:
        return await read.decision(reference, request.user, record_id)

    @post("/reconsideration-decisions", guards=WRITE, status_code=201,
          summary="Record the decision (concludes an accepted reconsideration with the decision type)")
    async def create_decision(self, request: Request, reference: str, data: s.DecisionCreate,
                              if_match: IfMatch = None) -> Response[s.DecisionRead]:
        decision, etag = await reconsideration.record_decision(reference, data, actor=request.user,
                                                               if_match=if_match)
        return Response(decision, status_code=201, headers={"ETag": etag})
