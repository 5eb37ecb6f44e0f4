"""What makes a draft case acceptable, and where it goes: field checks that
need the reference data, then the routing decision (with an override)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

from casework import timeutil
from casework.access.policy import allowed
from casework.access.service import Principal
from casework.cases.identity import id_number_problem, name_problem, phone_problem
from casework.cases.schemas import CaseCreate
from casework.problems import Problem, invalid
from casework.reference import service as reference
from casework.routing import service as routing
from casework.routing.rules import Draft
from casework.routing.schemas import RoutingPreview


def _strings(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


async def validate_draft(data: CaseCreate, actor: Principal) -> list[dict[str, str]]:
    """Every semantic problem with a draft case, each naming its field."""
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for path, text in _strings(msgspec.to_builtins(data), ""):
        if "\x00" in text:
            bad(path, "must not contain NUL characters")
    if not data.summary.strip():
        bad("summary", "must not be empty")
    if (data.kind == "petition") != (data.petition_type is not None):
        bad("petition_type", "is required for a petition and not allowed for a dispute")
    categories = await reference.categories()
    if data.category not in categories:
        bad("category", f"unknown category {data.category!r}")
    if not data.division_code.isdigit() or len(data.division_code) != 12:
        bad("division_code", "must be a 12-digit division code")
    elif not await reference.division_exists(data.division_code):
        bad("division_code", f"unknown division {data.division_code}")
    elif not actor.covers(data.division_code):
        bad("division_code", "is outside your jurisdiction")
    today = timeutil.today()
    now = timeutil.now()
    if data.received_at is not None:
        if data.received_at.tzinfo is None:
            bad("received_at", "must carry a time zone offset")
        elif data.received_at > now + dt.timedelta(minutes=5):
            bad("received_at", "must not be in the future")
        elif data.received_at.year < 1990:
            bad("received_at", "is implausibly old")
    for name in ("occurred_on", "act_known_on", "act_on"):
        value = getattr(data, name)
        if value is not None and (value > today or value.year < 1950):
            bad(name, "must be a date between 1950 and today")
    amount = data.amount_in_dispute
    if amount is not None and (not amount.is_finite() or amount < 0 or amount >= Decimal("1e14")
                               or amount != amount.quantize(Decimal("0.01"))):
        bad("amount_in_dispute", "must be between 0 and 10^14 yuan with at most two decimals")
    applicants = [p for p in data.parties if p.role == "applicant"]
    if not applicants:
        bad("parties", "at least one applicant is required")
    applicant_persons = sum(1 for p in applicants if p.kind == "person")
    if data.headcount < applicant_persons:
        bad("headcount", f"is below the number of applicant persons ({applicant_persons})")
    for index, party in enumerate(data.parties):
        if not party.name.strip():
            bad(f"parties[{index}].name", "must not be empty")
        elif "\x00" not in party.name and (why := name_problem(party.name.strip())) is not None:
            bad(f"parties[{index}].name", why)
        if party.id_number is not None:
            if party.kind != "person":
                bad(f"parties[{index}].id_number", "only a person has a resident identity number")
            elif (why := id_number_problem(party.id_number, today)) is not None:
                bad(f"parties[{index}].id_number", why)
        if party.phone is not None and (why := phone_problem(party.phone)) is not None:
            bad(f"parties[{index}].phone", why)
    if data.requested_track is not None:
        if not allowed(actor.role, "routing.override"):
            raise Problem(403, "forbidden", "Forbidden", f"role {actor.role} may not override routing")
        if not (data.override_reason or "").strip():
            bad("override_reason", "is required when requested_track is given")
    return errors


async def draft_of(data: CaseCreate) -> Draft:
    categories = await reference.categories()
    category = categories[data.category]
    received_at = data.received_at or timeutil.now()
    return Draft(
        kind=data.kind,
        petition_type=data.petition_type,
        category=data.category,
        civil=category["civil"],
        law_related=category["law_related"],
        respondent_kinds=tuple(p.kind for p in data.parties if p.role == "respondent"),
        headcount=data.headcount,
        amount=data.amount_in_dispute,
        division_code=data.division_code,
        pending_litigation=data.pending_litigation,
        act_known_on=data.act_known_on,
        received_on=timeutil.local_date(received_at),
    )


async def route(data: CaseCreate, actor: Principal) -> tuple[routing.Decision, Draft]:
    errors = await validate_draft(data, actor)
    if errors:
        raise invalid(errors)
    draft = await draft_of(data)
    decision = await routing.decide(draft)
    if data.requested_track is not None:
        decision = await routing.override(
            decision, track=data.requested_track, reason=data.override_reason or "", draft=draft
        )
    return decision, draft



async def preview_route(data: CaseCreate, actor: Principal) -> RoutingPreview:
    """Where ``data`` would go (the checks intake makes, then routing); nothing is saved."""
    decision, _draft = await route(data, actor)
    return msgspec.convert(decision.as_dict(), RoutingPreview)
