"""Routes for a case's labour arbitrations (劳动人事争议仲裁): read under
``case.read``; written under ``records.write`` with the case's ETag in
If-Match (412 stale, 428 missing), answering the arbitration and the case's
new ETag."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.records import arbitration, read
from casework.records import schemas as s

IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]
READ = [requires("case.read")]
WRITE = [requires("records.write")]


class ArbitrationController(Controller):
    """The arbitration commission's steps on a labour dispute."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    @get("/arbitrations", guards=READ, summary="Labour arbitrations (劳动人事争议仲裁) of the case")
    async def list_arbitrations(self, request: Request, reference: str) -> s.ArbitrationList:
        return await read.arbitration_list(reference, request.user)

    @get("/arbitrations/{record_id:int}", guards=READ, summary="One labour arbitration")
    async def get_arbitration(self, request: Request, reference: str, record_id: int) -> s.ArbitrationRead:
        return await read.arbitration(reference, request.user, record_id)

    @post("/arbitrations", guards=WRITE, status_code=201,
          summary="Record the application the arbitration commission received: its 5 days to accept start")
    async def create_arbitration(self, request: Request, reference: str, data: s.ArbitrationCreate,
                                 if_match: IfMatch = None) -> Response[s.ArbitrationRead]:
        record, etag = await arbitration.record_application(reference, data, actor=request.user, if_match=if_match)
        return Response(record, status_code=201, headers={"ETag": etag})

    @post("/arbitrations/{record_id:int}/progress", guards=WRITE, status_code=200,
          summary="The commission's steps: accepted or not, award (or mediation, withdrawal), award served")
    async def arbitration_progress(self, request: Request, reference: str, record_id: int,
                                   data: s.ArbitrationProgress,
                                   if_match: IfMatch = None) -> Response[s.ArbitrationRead]:
        record, etag = await arbitration.record_progress(reference, record_id, data, actor=request.user,
                                                         if_match=if_match)
        return Response(record, headers={"ETag": etag})

    @post("/arbitrations/{record_id:int}/extension", guards=WRITE, status_code=200,
          summary="The commission's chair extends the 45 days to the award (up to 15 days, once, within them)")
    async def arbitration_extension(self, request: Request, reference: str, record_id: int,
                                    data: s.ArbitrationExtension,
                                    if_match: IfMatch = None) -> Response[s.ArbitrationRead]:
        record, etag = await arbitration.extend_award(reference, record_id, data, actor=request.user,
                                                      if_match=if_match)
        return Response(record, headers={"ETag": etag})
