"""The write routes for the lawsuits linked to a case by their court case
number (a suit is shared by every case it is linked to), under
``records.write`` with the case's ETag in If-Match (412 stale, 428
missing), answering the suit and the case's new ETag. Their reads come
from records/read_routes.py."""

from __future__ import annotations

from litestar import Controller, Request, Response, post

from casework.access.auth import requires
from casework.records import litigation
from casework.records import schemas as s
from casework.records.read_routes import read_routes
from casework.routes import IfMatch, with_etag

WRITE = [requires("records.write")]


class LawsuitController(Controller):
    """Lawsuits, their stage, result and hearings."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    list_lawsuits, get_lawsuit = read_routes("lawsuits")

    @post("/lawsuits", guards=WRITE, status_code=201,
          summary="Link a lawsuit by its case number, e.g. （2026）晋0403民初123号 (recorded once, shared by cases)")
    async def link_lawsuit(self, request: Request, reference: str, data: s.LawsuitCreate,
                           if_match: IfMatch = None) -> Response[s.LawsuitRead]:
        return with_etag(await litigation.link_lawsuit(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/lawsuits/{record_id:int}/progress", guards=WRITE, status_code=200,
          summary="Record the suit's stage or result (every linked case is updated)")
    async def lawsuit_progress(self, request: Request, reference: str, record_id: int, data: s.LawsuitProgress,
                               if_match: IfMatch = None) -> Response[s.LawsuitRead]:
        return with_etag(await litigation.record_progress(reference, record_id, data, actor=request.user,
                                                          if_match=if_match))

    @post("/lawsuits/{record_id:int}/hearings", guards=WRITE, status_code=201, summary="Record a hearing")
    async def lawsuit_hearing(self, request: Request, reference: str, record_id: int, data: s.HearingCreate,
                              if_match: IfMatch = None) -> Response[s.LawsuitRead]:
        return with_etag(await litigation.record_hearing(reference, record_id, data, actor=request.user,
                                                         if_match=if_match), 201)
