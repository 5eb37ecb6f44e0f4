"""Recording a notice's service on a case (送达): a service, a correction,
an attempt that did not serve, a proof that came back later. Each is one
transaction: the case locked with its ETag (If-Match), the change, its
events, the case's new state; the answer is the notice and the new ETag."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from casework import timeutil
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_events
from casework.db import connection, transaction
from casework.deadlines.engine import Journal
from casework.notices import service
from casework.notices.schemas import (
    AttemptCreate,
    NoticeList,
    NoticeRead,
    ProofCreate,
    Served,
    ServiceCorrection,
)
from casework.problems import not_found

Change = Callable[[Any, Any, Journal], Awaitable[Any]]


async def notices_of(reference: str, actor: Principal) -> NoticeList:
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference, actor)
        items = await service.notices_for_case(conn, case["id"])
    return NoticeList(items=[msgspec.convert(n, NoticeRead, strict=False) for n in items])


async def _write(reference: str, notice_id: int, actor: Principal, if_match: str | None,
                 change: Change) -> tuple[NoticeRead, str]:
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, if_match)
            journal = Journal()
            await change(conn, case, journal)
            await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor,
                                  events=journal.events)
            etag = await core.sync_case(conn, case["id"], case["current_proceeding_id"])
            notice = next((n for n in await service.notices_for_case(conn, case["id"]) if n["id"] == notice_id),
                          None)
    if notice is None:
        raise not_found("notice")
    return msgspec.convert(notice, NoticeRead, strict=False), etag


async def serve(reference: str, notice_id: int, data: Served, actor: Principal,
                if_match: str | None) -> tuple[NoticeRead, str]:
    return await _write(reference, notice_id, actor, if_match, lambda conn, case, journal: service.serve_notice(
        conn, case, notice_id, data, journal, actor_id=actor.id, today=timeutil.today()))


async def correct(reference: str, notice_id: int, data: ServiceCorrection, actor: Principal,
                  if_match: str | None) -> tuple[NoticeRead, str]:
    return await _write(reference, notice_id, actor, if_match, lambda conn, case, journal: service.correct_service(
        conn, case, notice_id, data.served(), data.reason, journal, actor_id=actor.id, today=timeutil.today()))


async def attempt(reference: str, notice_id: int, data: AttemptCreate, actor: Principal,
                  if_match: str | None) -> tuple[NoticeRead, str]:
    return await _write(reference, notice_id, actor, if_match, lambda conn, case, journal: service.record_attempt(
        conn, case, notice_id, data, journal, actor_id=actor.id, today=timeutil.today()))


async def add_proof(reference: str, notice_id: int, data: ProofCreate, actor: Principal,
                    if_match: str | None) -> tuple[NoticeRead, str]:
    return await _write(reference, notice_id, actor, if_match, lambda conn, case, journal: service.add_proof(
        conn, case, notice_id, data.proof_attachment_id, journal))
