"""Online filing: a party files a petition or a dispute without an account.

The application goes through intake like any case (validation, routing to
the station or body for its division, repeats, numbering, events), taken
in as the 'online-filing' principal and left in the state 网上提交待登记
(``submitted_online``) with no clocks: a clerk of the receiving body
registers it (clocks from the submission day), asks for more (补正) or
refuses it as not a matter (``proceedings`` actions ``register_online``,
``request_supplement``, ``refuse_online``). The party gets the reference
and the receipt code the public lookup takes, once.
"""

from __future__ import annotations

from typing import Any

from casework.access.service import Principal
from casework.cases.intake import intake, replayed
from casework.cases.schemas import CaseCreate, CaseCreated, PartyCreate
from casework.db import connection
from casework.problems import Problem
from casework.proceedings.tracks import registry
from casework.public import abuse
from casework.public.schemas import (
    ApplicationCreate,
    ApplicationReceipt,
    Place,
    PlaceList,
    ReceivingBody,
)
from casework.reference import service as reference

FILING_USERNAME = "online-filing"
KEEP_IT = ("请妥善保存受理编号和查询码：查询码只显示这一次，凭受理编号和查询码可在“查询进度”中查看办理情况。"
           "工作人员登记后，办理期限从您提交之日起计算。")
_principal: Principal | None = None


async def filing_principal() -> Principal:
    """The principal online applications are taken in as (made by the migration; it cannot sign in)."""
    global _principal
    if _principal is None:
        async with connection() as conn:
            row = await conn.fetchrow(
                "SELECT id, username, role, body_id, jurisdiction, token_version FROM app_user WHERE username = $1",
                FILING_USERNAME)
        if row is None:  # pragma: no cover - the migration inserts it
            raise Problem(503, "not-ready", "Online filing is not set up", "run casework migrate")
        _principal = Principal(**dict(row))
    return _principal


def as_case(data: ApplicationCreate, channel: str = "online") -> CaseCreate:
    parties = [PartyCreate(role="applicant", kind="person", name=data.applicant.name, phone=data.applicant.phone,
                           id_number=data.applicant.id_number or None, address=data.applicant.address or None,
                           sms_consent=data.sms_consent)]
    if data.respondent is not None:
        parties.append(PartyCreate(role="respondent", kind=data.respondent.kind, name=data.respondent.name))
    return CaseCreate(
        kind=data.kind, channel=channel, category=data.category, summary=data.summary,
        division_code=data.division_code, parties=parties, petition_type=data.petition_type,
        description=data.description, occurred_on=data.occurred_on, headcount=data.headcount,
    )


# The staff form's field names, as the online form names them.
_FIELDS = (("parties[0].", "applicant."), ("parties[1].", "respondent."), ("parties", "applicant"))


def _renamed(problem: Problem) -> Problem:
    extra: dict[str, Any] = problem.extra if isinstance(problem.extra, dict) else {}
    errors = extra.get("errors")
    if not errors:
        return problem
    for error in errors:
        for old, new in _FIELDS:
            if error.get("field", "").startswith(old):
                error["field"] = new + error["field"][len(old):]
                break
        if error.get("field") == "division_code" and "jurisdiction" in error.get("message", ""):
            error["message"] = "is not served by online filing"  # pragma: no cover - the principal covers all
    problem.detail = "invalid: " + ", ".join(e["field"] for e in errors)
    return problem


def receipt(created: CaseCreated) -> ApplicationReceipt:
    body = created.proceeding.body if created.proceeding else None
    return ApplicationReceipt(
        reference=created.reference, receipt_code=created.receipt_code, state="submitted_online",
        state_zh=registry().states["submitted_online"].label_zh, submitted_at=created.received_at,
        receiving_body=ReceivingBody(name_zh=body.name_zh, name_en=body.name_en) if body else None,
        message_zh=KEEP_IT,
    )


async def file_application(
    data: ApplicationCreate, *, address: str, idempotency_key: str | None, app: tuple[int, str] | None = None,
) -> tuple[ApplicationReceipt, bool]:
    """Take in an online application; (receipt, created). A replay of the same
    Idempotency-Key and body answers the first receipt again, before the
    (spent) proof of work is looked at; otherwise the proof of work (not for
    a registered Open311 ``app``: (id, name), its api_key stands for it),
    the throttles, then intake."""
    case = as_case(data, channel="mobile_app" if app else "online")
    actor = await filing_principal()
    if idempotency_key and 0 < len(idempotency_key) <= 200:
        earlier = await replayed(case, actor=actor, idempotency_key=idempotency_key)
        if earlier is not None:
            return receipt(earlier), False
    if app is None:
        await abuse.spend_solution(data.altcha)
    flags, counted = await abuse.admit(data, address, app_id=app[0] if app else None)
    flags["via"] = f"open311:{app[1]}" if app else "web"
    try:
        created, fresh = await intake(case, actor=actor, idempotency_key=idempotency_key, online=True,
                                      online_flags=flags)
    except Problem as problem:
        if problem.status_code == 422:
            await abuse.release(counted)
        raise _renamed(problem) from None
    return receipt(created), fresh


async def places() -> PlaceList:
    """Villages and communities (the 12-digit divisions below a township), named with their county and township."""
    rows = (await reference.divisions()).items
    names = {r.code: r.name_zh for r in rows}
    items = []
    for row in rows:
        code = row.code
        if len(code) != 12 or code.endswith("000"):
            continue
        above = [names.get(code[:6] + "000000"), names.get(code[:9] + "000")]
        items.append(Place(code=code, name_zh=row.name_zh,
                           path_zh=" ".join(n for n in (*above, row.name_zh) if n)))
    return PlaceList(items=items)
