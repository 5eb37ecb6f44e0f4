"""The case's core, at the bottom of every write: finding a case within the
caller's scope, locking it, checking its version (ETag), and deriving its
status, stage, body and next due date from its current proceeding.

Everything that writes a case goes through ``lock_case`` (a caller's
write, with If-Match) or ``lock_case_by_id`` (a write the system makes on
a case no caller read: a court's push, a shared record, the sweep), then
``sync_case`` before its transaction ends. Nothing here imports a domain
service: domains import this.
"""

from __future__ import annotations

from typing import Any

from casework.access.scope import Scope
from casework.access.service import Principal
from casework.problems import Problem, not_found
from casework.proceedings.tracks import registry


def etag(case_id: int, version: int) -> str:
    return f'"{case_id}.{version}"'


def precondition_required() -> Problem:
    return Problem(428, "precondition-required", "Precondition required",
                   "send If-Match with the case's ETag (from GET /api/v1/cases/{reference})")


async def case_by_reference(conn: Any, reference: str, actor: Principal) -> dict[str, Any]:
    """The case row, or 404 when missing or outside the caller's scope."""
    row = await conn.fetchrow("SELECT * FROM case_file WHERE reference = $1", reference)
    if row is None or not Scope.of(actor).allows(row):
        raise not_found()
    return dict(row)


async def lock_case(conn: Any, reference: str, actor: Principal, if_match: str | None) -> dict[str, Any]:
    """Lock the case row for a write: 428 without If-Match, 404 outside the
    caller's scope, 412 when the ETag is stale. Every write a caller makes
    to a case goes through here inside its transaction."""
    if not if_match:
        raise precondition_required()
    case = await conn.fetchrow("SELECT * FROM case_file WHERE reference = $1 FOR UPDATE", reference)
    if case is None or not Scope.of(actor).allows(case):
        raise not_found()
    case = dict(case)
    current = etag(case["id"], case["version"])
    if if_match.strip().removeprefix("W/") != current:
        raise Problem(412, "precondition-failed", "Precondition failed",
                      "the case changed since you read it; reload and retry", etag=current)
    return case


async def lock_case_by_id(conn: Any, case_id: int) -> dict[str, Any]:
    """Lock a case the system writes without a caller having read it (a pushed
    event, a shared record, the sweep). Writers lock cases in id order."""
    return dict(await conn.fetchrow("SELECT * FROM case_file WHERE id = $1 FOR UPDATE", case_id))


_FINAL = ", ".join(f"'{s}'" for s in sorted(registry().final_states))

# The case's status from its proceeding's state comes from the track
# registry (data/tracks.json), written out once as SQL here. The next due
# date is the body's (docs/proceedings.md: a party's window or a court's
# clock never makes a case due for a body), as the backlog counts it. One statement
# for one case (every action) and for many (the sweep's lapses).
_SYNC = f"""
UPDATE case_file c SET
    current_proceeding_id = p.id, track = p.track, stage = p.state, body_id = p.body_id,
    assignee_id = p.assignee_id,
    status = {registry().status_sql("p.state")},
    terminated = c.terminated OR p.state = 'terminated',
    closed_at = CASE WHEN p.state IN ({_FINAL}) THEN coalesce(c.closed_at, casework_now()) ELSE NULL END,
    next_due_on = (SELECT min(k.due_on) FROM clock k
                   WHERE k.proceeding_id = p.id AND k.state = 'running' AND k.whose = 'body'),
    version = c.version + 1, updated_at = casework_now()
FROM unnest($1::bigint[], $2::bigint[]) AS s(case_id, proceeding_id) JOIN proceeding p ON p.id = s.proceeding_id
WHERE c.id = s.case_id
RETURNING c.id, c.version
"""


async def sync_case(conn: Any, case_id: int, proceeding_id: int) -> str:
    """Derive the case's status, stage, track, body and next due date from
    its current proceeding; bump its version. Returns the new ETag."""
    synced = await sync_cases(conn, [(case_id, proceeding_id)])
    if case_id not in synced:
        raise LookupError(f"case {case_id} has no proceeding {proceeding_id} to derive its state from")
    return synced[case_id]


async def sync_cases(conn: Any, pairs: list[tuple[int, int]]) -> dict[int, str]:
    """``sync_case`` for many (locked) cases at once: (case id, its current
    proceeding id) each; their new ETags by case id."""
    rows = await conn.fetch(_SYNC, [c for c, _ in pairs], [p for _, p in pairs])
    return {r["id"]: etag(r["id"], r["version"]) for r in rows}
