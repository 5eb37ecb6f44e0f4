"""A case's notices and their service: read under ``case.read``; recording or
correcting a service under ``records.write`` with the case's ETag in
If-Match (428 missing, 412 stale). Writes answer with the notice and the
case's new ETag."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework import timeutil
from casework.access.auth import requires
from casework.cases import core
from casework.cases.events import log_case_events
from casework.db import connection, transaction
from casework.deadlines.engine import Journal
from casework.notices import service, unserved
from casework.notices.schemas import (
    AttemptCreate,
    NoticeList,
    NoticeRead,
    ProofCreate,
    Served,
    ServiceCorrection,
    ToServePage,
)
from casework.problems import not_found

IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]


async def _answer(conn, case, notice_id: int) -> tuple[NoticeRead, str]:
    etag = await core.sync_case(conn, case["id"], case["current_proceeding_id"])
    notice = next((n for n in await service.notices_for_case(conn, case["id"]) if n["id"] == notice_id), None)
    return msgspec.convert(notice, NoticeRead, strict=False), etag


class NoticeController(Controller):
    path = "/api/v1/cases/{reference:str}/notices"
    tags = ["notices"]

    @get("/", guards=[requires("case.read")], summary="The written notices given to the parties, and their service")
    async def list_notices(self, request: Request, reference: str) -> NoticeList:
        async with connection() as conn:
            case = await core.case_by_reference(conn, reference, request.user)
            items = await service.notices_for_case(conn, case["id"])
        return NoticeList(items=[msgspec.convert(n, NoticeRead, strict=False) for n in items])

    @post("/{notice_id:int}/service", guards=[requires("records.write")], status_code=200,
          summary="Record how and when the party received the notice (送达): their periods start that day")
    async def serve(self, request: Request, reference: str, notice_id: int, data: Served,
                    if_match: IfMatch = None) -> Response[NoticeRead]:
        async with transaction():
            async with connection() as conn:
                case = await core.lock_case(conn, reference, request.user, if_match)
                journal = Journal()
                await service.serve_notice(conn, case, notice_id, data, journal, actor_id=request.user.id,
                                           today=timeutil.today())
                await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=request.user,
                                      events=journal.events)
                notice, etag = await _answer(conn, case, notice_id)
        return Response(notice, headers={"ETag": etag})

    @post("/{notice_id:int}/service/correction", guards=[requires("records.write")], status_code=200,
          summary="Correct the service: the clocks counted from it are recomputed, stopped ones included")
    async def correct(self, request: Request, reference: str, notice_id: int, data: ServiceCorrection,
                      if_match: IfMatch = None) -> Response[NoticeRead]:
        async with transaction():
            async with connection() as conn:
                case = await core.lock_case(conn, reference, request.user, if_match)
                journal = Journal()
                await service.correct_service(conn, case, notice_id, data.served(), data.reason, journal,
                                              actor_id=request.user.id, today=timeutil.today())
                await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=request.user,
                                      events=journal.events)
                notice, etag = await _answer(conn, case, notice_id)
        if notice is None:
            raise not_found("notice")
        return Response(notice, headers={"ETag": etag})

    @post("/{notice_id:int}/service/attempts", guards=[requires("records.write")], status_code=200,
          summary="Record a try at service that did not (yet) serve: posted, nobody found, refused, returned")
    async def attempt(self, request: Request, reference: str, notice_id: int, data: AttemptCreate,
                      if_match: IfMatch = None) -> Response[NoticeRead]:
        return await _write(request, reference, notice_id, if_match, lambda conn, case, journal: service.record_attempt(
            conn, case, notice_id, data, journal, actor_id=request.user.id, today=timeutil.today()))

    @post("/{notice_id:int}/service/proof", guards=[requires("records.write")], status_code=200,
          summary="Attach the proof of service (signed receipt, postal return card) that came back later")
    async def proof(self, request: Request, reference: str, notice_id: int, data: ProofCreate,
                    if_match: IfMatch = None) -> Response[NoticeRead]:
        return await _write(request, reference, notice_id, if_match, lambda conn, case, journal: service.add_proof(
            conn, case, notice_id, data.proof_attachment_id, journal))


async def _write(request: Request, reference: str, notice_id: int, if_match: str | None, change) -> Response[NoticeRead]:
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, request.user, if_match)
            journal = Journal()
            await change(conn, case, journal)
            await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=request.user,
                                  events=journal.events)
            notice, etag = await _answer(conn, case, notice_id)
    return Response(notice, headers={"ETag": etag})


class ToServeController(Controller):
    """Notices not yet served: mine (the work queue's cases) and the backlog's (every case in scope)."""

    path = "/api/v1"
    tags = ["notices"]

    @get("/queue/to-serve", guards=[requires("queue.read")],
         summary="My notices to serve: issued, not yet served (cases assigned to me or to my body), oldest first")
    async def my_notices_to_serve(
        self, request: Request, limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=80)] = None,
    ) -> ToServePage:
        return await unserved.to_serve(request.user, mine=True, division=None, limit=limit, cursor=cursor)

    @get("/backlog/to-serve", guards=[requires("backlog.read")],
         summary="Notices issued and not yet served, in the caller's jurisdiction, oldest first")
    async def notices_to_serve(
        self, request: Request, division: Annotated[str | None, Parameter(max_length=12)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        cursor: Annotated[str | None, Parameter(max_length=80)] = None,
    ) -> ToServePage:
        return await unserved.to_serve(request.user, mine=False, division=division, limit=limit, cursor=cursor)
