"""The write routes for a case's labour arbitrations (劳动人事争议仲裁),
under ``records.write`` with the case's ETag in If-Match (412 stale, 428
missing), answering the arbitration and the case's new ETag. Their reads come
from records/read_routes.py."""

from __future__ import annotations

from litestar import Controller, Request, Response, post

from casework.access.auth import requires
from casework.records import arbitration
from casework.records import schemas as s
from casework.records.read_routes import read_routes
from casework.routes import IfMatch, with_etag

WRITE = [requires("records.write")]


class ArbitrationController(Controller):
    """The arbitration commission's steps on a labour dispute."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    list_arbitrations, get_arbitration = read_routes("arbitrations")

    @post("/arbitrations", guards=WRITE, status_code=201,
          summary="Record the application the arbitration commission received: its 5 days to accept start")
    async def create_arbitration(self, request: Request, reference: str, data: s.ArbitrationCreate,
                                 if_match: IfMatch = None) -> Response[s.ArbitrationRead]:
        return with_etag(await arbitration.record_application(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/arbitrations/{record_id:int}/progress", guards=WRITE, status_code=200,
          summary="The commission's steps: accepted or not, award (or mediation, withdrawal), award served")
    async def arbitration_progress(self, request: Request, reference: str, record_id: int,
                                   data: s.ArbitrationProgress,
                                   if_match: IfMatch = None) -> Response[s.ArbitrationRead]:
        return with_etag(await arbitration.record_progress(reference, record_id, data, actor=request.user,
                                                           if_match=if_match))

    @post("/arbitrations/{record_id:int}/extension", guards=WRITE, status_code=200,
          summary="The commission's chair extends the 45 days to the award (up to 15 days, once, within them)")
    async def arbitration_extension(self, request: Request, reference: str, record_id: int,
                                    data: s.ArbitrationExtension,
                                    if_match: IfMatch = None) -> Response[s.ArbitrationRead]:
        return with_etag(await arbitration.extend_award(reference, record_id, data, actor=request.user,
                                                        if_match=if_match))
