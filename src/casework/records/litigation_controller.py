"""Routes for the lawsuits linked to a case by their court case number (a
suit is shared by every case it is linked to): read under ``case.read``;
written under ``records.write`` with the case's ETag in If-Match (412
stale, 428 missing), answering the suit and the case's new ETag."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.records import litigation, read
from casework.records import schemas as s

IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]
READ = [requires("case.read")]
WRITE = [requires("records.write")]


class LawsuitController(Controller):
    """Lawsuits, their stage, result and hearings."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    @get("/lawsuits", guards=READ, summary="Lawsuits linked to the case")
    async def list_lawsuits(self, request: Request, reference: str) -> s.LawsuitList:
        return await read.lawsuit_list(reference, request.user)

    @get("/lawsuits/{record_id:int}", guards=READ, summary="One linked lawsuit")
    async def get_lawsuit(self, request: Request, reference: str, record_id: int) -> s.LawsuitRead:
        return await read.lawsuit(reference, request.user, record_id)

    @post("/lawsuits", guards=WRITE, status_code=201,
          summary="Link a lawsuit by its case number, e.g. （2026）晋0403民初123号 (recorded once, shared by cases)")
    async def link_lawsuit(self, request: Request, reference: str, data: s.LawsuitCreate,
                           if_match: IfMatch = None) -> Response[s.LawsuitRead]:
        lawsuit, etag = await litigation.link_lawsuit(reference, data, actor=request.user, if_match=if_match)
        return Response(lawsuit, status_code=201, headers={"ETag": etag})

    @post("/lawsuits/{record_id:int}/progress", guards=WRITE, status_code=200,
          summary="Record the suit's stage or result (every linked case is updated)")
    async def lawsuit_progress(self, request: Request, reference: str, record_id: int, data: s.LawsuitProgress,
                               if_match: IfMatch = None) -> Response[s.LawsuitRead]:
        lawsuit, etag = await litigation.record_progress(reference, record_id, data, actor=request.user,
                                                         if_match=if_match)
        return Response(lawsuit, headers={"ETag": etag})

    @post("/lawsuits/{record_id:int}/hearings", guards=WRITE, status_code=201, summary="Record a hearing")
    async def lawsuit_hearing(self, request: Request, reference: str, record_id: int, data: s.HearingCreate,
                              if_match: IfMatch = None) -> Response[s.LawsuitRead]:
        lawsuit, etag = await litigation.record_hearing(reference, record_id, data, actor=request.user,
                                                        if_match=if_match)
        return Response(lawsuit, status_code=201, headers={"ETag": etag})
