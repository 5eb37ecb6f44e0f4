"""A case's notices and their service: read under ``case.read``; recording or
correcting a service under ``records.write`` with the case's ETag in
If-Match (428 missing, 412 stale). Writes answer with the notice and the
case's new ETag."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.notices import delivery, unserved
from casework.notices import schemas as s
from casework.routes import Cursor, IfMatch, with_etag


class NoticeController(Controller):
    path = "/api/v1/cases/{reference:str}/notices"
    tags = ["notices"]

    @get("/", guards=[requires("case.read")], summary="The written notices given to the parties, and their service")
    async def list_notices(self, request: Request, reference: str) -> s.NoticeList:
        return await delivery.notices_of(reference, request.user)

    @post("/{notice_id:int}/service", guards=[requires("records.write")], status_code=200,
          summary="Record how and when the party received the notice (送达): their periods start that day")
    async def serve(self, request: Request, reference: str, notice_id: int, data: s.Served,
                    if_match: IfMatch = None) -> Response[s.NoticeRead]:
        return with_etag(await delivery.serve(reference, notice_id, data, request.user, if_match))

    @post("/{notice_id:int}/service/correction", guards=[requires("records.write")], status_code=200,
          summary="Correct the service: the clocks counted from it are recomputed, stopped ones included")
    async def correct(self, request: Request, reference: str, notice_id: int, data: s.ServiceCorrection,
                      if_match: IfMatch = None) -> Response[s.NoticeRead]:
        return with_etag(await delivery.correct(reference, notice_id, data, request.user, if_match))

    @post("/{notice_id:int}/service/attempts", guards=[requires("records.write")], status_code=200,
          summary="Record a try at service that did not (yet) serve: posted, nobody found, refused, returned")
    async def attempt(self, request: Request, reference: str, notice_id: int, data: s.AttemptCreate,
                      if_match: IfMatch = None) -> Response[s.NoticeRead]:
        return with_etag(await delivery.attempt(reference, notice_id, data, request.user, if_match))

    @post("/{notice_id:int}/service/proof", guards=[requires("records.write")], status_code=200,
          summary="Attach the proof of service (signed receipt, postal return card) that came back later")
    async def proof(self, request: Request, reference: str, notice_id: int, data: s.ProofCreate,
                    if_match: IfMatch = None) -> Response[s.NoticeRead]:
        return with_etag(await delivery.add_proof(reference, notice_id, data, request.user, if_match))


class ToServeController(Controller):
    """Notices not yet served: mine (the work queue's cases) and the backlog's (every case in scope)."""

    path = "/api/v1"
    tags = ["notices"]

    @get("/queue/to-serve", guards=[requires("queue.read")],
         summary="My notices to serve: issued, not yet served (cases assigned to me or to my body), oldest first")
    async def my_notices_to_serve(
        self, request: Request, limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Cursor = None,
    ) -> s.ToServePage:
        return await unserved.to_serve(request.user, mine=True, division=None, limit=limit, cursor=cursor)

    @get("/backlog/to-serve", guards=[requires("backlog.read")],
         summary="Notices issued and not yet served, in the caller's jurisdiction, oldest first")
    async def notices_to_serve(
        self, request: Request, division: Annotated[str | None, Parameter(max_length=12)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        cursor: Cursor = None,
    ) -> s.ToServePage:
        return await unserved.to_serve(request.user, mine=False, division=division, limit=limit, cursor=cursor)
