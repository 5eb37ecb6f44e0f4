"""The case as readers see it: the detail (one case row read, scope checked
with it), the list, the timeline. Answers are the typed structs of
cases/schemas.py; intake builds the same detail from the rows it inserted."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from casework import paging, reads, timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases import core
from casework.cases.repeats import shown_repeats
from casework.cases.schemas import CaseDetail, CaseEventList, CasePage
from casework.db import connection
from casework.deadlines.service import clock_view, time_limits
from casework.documents.attachments import attachments_for_case
from casework.proceedings.transitions import allowed_actions
from casework.public.feedback import feedback_for_case
from casework.records.read import records_for_case
from casework.records.service import RECORD_KINDS


async def case_detail(conn: Any, case_id: int, actor: Principal, case: Any = None) -> CaseDetail:
    """The case as the API shows it; ``case`` is its row when the caller
    already read it (in scope, in this transaction)."""
    if case is None:
        case = await conn.fetchrow("SELECT * FROM case_file WHERE id = $1", case_id)
    parties = await conn.fetch(
        """SELECT position, role, kind, name, id_number_masked, phone_masked, address_enc IS NOT NULL AS has_address,
                  sms_consent
           FROM party WHERE case_id = $1 ORDER BY position""",
        case_id,
    )
    proceedings = await conn.fetch(
        """SELECT p.*, b.code AS body_code, b.name_zh AS body_name_zh, b.name_en AS body_name_en
           FROM proceeding p LEFT JOIN body b ON b.id = p.body_id
           WHERE p.case_id = $1 ORDER BY p.seq""",
        case_id,
    )
    clocks = await conn.fetch("SELECT * FROM clock WHERE case_id = $1 ORDER BY id", case_id)
    decision = await conn.fetchrow(
        """SELECT d.*, b.code AS body_code, b.name_zh AS body_name_zh, b.name_en AS body_name_en
           FROM routing_decision d LEFT JOIN body b ON b.id = d.body_id
           WHERE d.case_id = $1 ORDER BY d.id DESC LIMIT 1""",
        case_id,
    )
    scope = Scope.of(actor)
    related_reference = None
    if case["related_case_id"]:
        related = await conn.fetchrow(
            "SELECT reference, division_code, body_id, assignee_id FROM case_file WHERE id = $1",
            case["related_case_id"],
        )
        related_reference = related["reference"] if scope.allows(related) else None
    stored = timeutil.moments_as_rfc3339(json.loads(case["possible_repeats"]))
    repeats: list[dict[str, Any]] = []
    if stored:
        # As they are now (a case may have moved since intake), in the reader's scope.
        now = {r["reference"]: dict(r) for r in await conn.fetch(
            "SELECT reference, division_code, body_id, assignee_id FROM case_file WHERE reference = ANY($1::text[])",
            [r["reference"] for r in stored])}
        repeats = shown_repeats([{**r, **now[r["reference"]]} for r in stored if r["reference"] in now], scope)
    extra = {**await records_for_case(conn, case_id, actor), "feedback": await feedback_for_case(conn, case_id),
             "attachments": await attachments_for_case(conn, case_id)}
    return await assemble_detail(case, parties, proceedings, clocks, decision, related_reference, repeats,
                                 actor, extra)


async def assemble_detail(
    case: Any, parties: Any, proceedings: Any, clocks: Any, decision: Any, related_reference: str | None,
    repeats: list[dict[str, Any]], actor: Principal, extra: dict[str, Any],
) -> CaseDetail:
    """The detail view from its rows: the case, its parties (in position
    order), proceedings (with body_code/body_name_zh/body_name_en), clocks
    (in id order), latest routing decision (with the same body columns),
    and ``extra`` (records and feedback). Intake builds it from the rows
    its inserts return; reading builds it from the rows it selects."""
    today = timeutil.today()
    clock_views: dict[int, list[dict[str, Any]]] = {}
    for clock in clocks:
        clock_views.setdefault(clock["proceeding_id"], []).append(await clock_view(dict(clock), today))
    proceeding_list = [
        {
            "id": p["id"], "seq": p["seq"], "track": p["track"], "state": p["state"],
            "outcome": p["outcome"], "previous_id": p["previous_id"],
            "body": {"id": p["body_id"], "code": p["body_code"], "name_zh": p["body_name_zh"],
                     "name_en": p["body_name_en"]} if p["body_id"] else None,
            "assignee_id": p["assignee_id"], "opened_at": p["opened_at"], "accepted_at": p["accepted_at"],
            "concluded_at": p["concluded_at"], "opened_reason": p["opened_reason"],
            "details": json.loads(p["details"]) if isinstance(p["details"], str) else p["details"],
            "clocks": clock_views.get(p["id"], []),
        }
        for p in proceedings
    ]
    current = next((p for p in proceeding_list if p["id"] == case["current_proceeding_id"]), None)
    actions = await _actions_that_work(current, actor) if current else []
    return msgspec.convert({
        "id": case["id"],
        "reference": case["reference"],
        "allowed_actions": actions,
        "kind": case["kind"],
        "channel": case["channel"],
        "petition_type": case["petition_type"],
        "category": case["category_code"],
        "summary": case["summary"],
        "description": case["description"],
        "division_code": case["division_code"],
        "occurred_on": case["occurred_on"],
        "received_at": case["received_at"],
        "headcount": case["headcount"],
        "collective": case["collective"],
        "amount_in_dispute": str(case["amount_in_dispute"]) if case["amount_in_dispute"] is not None else None,
        "act_known_on": case["act_known_on"],
        "pending_litigation": case["pending_litigation"],
        "risk_level": case["risk_level"],
        "status": case["status"],
        "track": case["track"],
        "stage": case["stage"],
        "terminated": case["terminated"],
        "not_accepted_reason": case["not_accepted_reason"],
        "related_case": related_reference,
        "next_due_on": case["next_due_on"],
        "parties": [
            {"position": p["position"], "role": p["role"], "kind": p["kind"], "name": p["name"],
             "id_number": p["id_number_masked"], "phone": p["phone_masked"],
             "address": "***" if p["has_address"] else None, "sms_consent": p["sms_consent"]}
            for p in parties
        ],
        "routing": {
            "track": decision["track"], "rule": decision["rule_code"], "reason": decision["reason"],
            "body": {"id": decision["body_id"], "code": decision["body_code"],
                     "name_zh": decision["body_name_zh"], "name_en": decision["body_name_en"]}
            if decision["body_id"] else None,
            "overridden": decision["overridden"], "override_reason": decision["override_reason"],
            "suggested_track": decision["suggested_track"],
        } if decision else None,
        "proceeding": current,
        "proceedings": proceeding_list,
        "possible_repeats": repeats,
        **extra,
        "created_at": case["created_at"],
        "updated_at": case["updated_at"],
        "closed_at": case["closed_at"],
        "version": case["version"],
    }, CaseDetail)


def no_records() -> dict[str, Any]:
    """The records block of a case that has none yet (a new one)."""
    return {kind: [] for kind in RECORD_KINDS}


async def _actions_that_work(current: dict[str, Any], actor: Principal) -> list[str]:
    """The transition table's actions for this role and state, less the clock
    actions that would find no clock to act on."""
    limits = await time_limits()
    clocks = current["clocks"]
    can = {
        "pause_clock": any(c["state"] == "running" and c["whose"] == "body" and limits[c["time_limit"]].pausable
                           and not c["breached"] for c in clocks),
        "resume_clock": any(c["state"] == "paused" for c in clocks),
        "extend_deadline": any(c["state"] in ("running", "paused") and limits[c["time_limit"]].extendable
                               and not c["extended_by"] and not c["extension"] for c in clocks),
        "convert_to_ordinary": any(c["time_limit"] == "reconsideration.decision_simplified"
                                   and c["state"] in ("running", "paused") for c in clocks),
    }
    return [a for a in allowed_actions(current["track"], current["state"], actor.role) if can.get(a, True)]


async def get_case(reference_no: str, actor: Principal) -> CaseDetail:
    """One read of the case row, scope checked on it (the route's guard
    leaves the case to this function)."""
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference_no, actor)
        return await case_detail(conn, case["id"], actor, case)


LIST_COLUMNS = """c.id, c.reference, c.kind, c.petition_type, c.category_code AS category, c.summary,
    c.division_code, c.received_at, c.headcount, c.collective, c.risk_level, c.status, c.track,
    c.stage, c.body_id, c.next_due_on, c.version"""


def _after_id(cursor: str) -> int:
    return paging.decode(cursor, lambda key: int(key[0]), legacy=lambda old: int(paging.unbase64(old)))


async def list_cases(actor: Principal, filters: dict[str, Any], limit: int, cursor: str | None) -> CasePage:
    """Newest first, keyset-paginated by id (stable under concurrent intake)."""
    scope = Scope.of(actor).narrowed(filters.get("division"))
    if scope is None:
        return CasePage(items=[], next_cursor=None, has_more=False)
    args: list[Any] = []
    clauses = [scope.sql("c", args)]

    def add(sql: str, value: Any) -> None:
        args.append(value)
        clauses.append(sql.format(f"${len(args)}"))

    for key, column in (("status", "c.status"), ("track", "c.track"), ("category", "c.category_code"),
                        ("kind", "c.kind"), ("risk_level", "c.risk_level"), ("stage", "c.stage")):
        if filters.get(key) is not None:
            add(f"{column} = {{}}", filters[key])
    if filters.get("body_id") is not None:
        add("c.body_id = {}", filters["body_id"])
    if filters.get("collective") is not None:
        add("c.collective = {}", filters["collective"])
    if filters.get("received_from") is not None:
        add("c.received_at >= {}", filters["received_from"])
    if filters.get("received_to") is not None:
        add("c.received_at < {}", filters["received_to"])
    if cursor:
        add("c.id < {}", _after_id(cursor))
    args.append(limit + 1)
    sql = (
        f"SELECT {LIST_COLUMNS} FROM case_file c WHERE {' AND '.join(clauses)} "
        f"ORDER BY c.id DESC LIMIT ${len(args)}"
    )
    rows = await reads.read(lambda conn: conn.fetch(sql, *args))
    items = [dict(r) for r in rows[:limit]]
    return msgspec.convert(paging.page(items, len(rows), limit, lambda r: (r["id"],)), CasePage)


async def case_events(reference_no: str, actor: Principal) -> CaseEventList:
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference_no, actor)
        rows = await conn.fetch(
            """SELECT e.id, e.at, e.type, e.data, e.proceeding_id, e.actor_id, e.actor_role,
                      u.username AS actor
               FROM case_event e LEFT JOIN app_user u ON u.id = e.actor_id
               WHERE e.case_id = $1 ORDER BY e.id""",
            case["id"],
        )
    return msgspec.convert({"items": [{**dict(r), "data": timeutil.moments_as_rfc3339(json.loads(r["data"]))}
                                       for r in rows]}, CaseEventList)
