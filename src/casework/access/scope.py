"""Which cases a principal may see: the one visibility rule.

Everyone sees only cases whose division lies under their jurisdiction
prefix. Mediators see, within it, only the cases currently with their body
or assigned to them. A case out of scope is answered exactly like a missing
one (404), so its existence does not leak.

``can_see_case`` decides for one row; ``visibility_sql`` says the same in
SQL for lists. Keep the two in step (tests/access/test_scope.py checks it).
"""

from __future__ import annotations

from typing import Any, Mapping

from casework.access.service import Principal


def division_bounds(prefix: str) -> tuple[str, str]:
    """Bounds for ``code LIKE prefix%`` on a "C"-collated column, index-friendly."""
    return prefix, prefix + ":"  # ':' sorts right after '9'


def can_see_case(principal: Principal, case: Mapping[str, Any]) -> bool:
    if not principal.covers(case["division_code"]):
        return False
    if principal.role == "mediator":
        with_body = principal.body_id is not None and case["body_id"] == principal.body_id
        return with_body or case["assignee_id"] == principal.id
    return True


def visibility_sql(principal: Principal, alias: str, args: list[Any]) -> str:
    """A WHERE fragment over ``case_file AS alias``; appends its parameters to ``args``."""
    low, high = division_bounds(principal.jurisdiction)
    args.extend([low, high])
    sql = f"({alias}.division_code >= ${len(args) - 1} AND {alias}.division_code < ${len(args)}"
    if principal.role == "mediator":
        args.extend([principal.body_id, principal.id])
        # body_id = NULL is never true: a mediator with no body sees only assigned cases.
        sql += f" AND ({alias}.body_id = ${len(args) - 1} OR {alias}.assignee_id = ${len(args)})"
    return sql + ")"


async def visible_case_id(conn: Any, principal: Principal, reference: str) -> int | None:
    """The case's id when it exists and the principal may see it, else None."""
    row = await conn.fetchrow(
        "SELECT id, division_code, body_id, assignee_id FROM case_file WHERE reference = $1", reference
    )
    if row is None or not can_see_case(principal, row):
        return None
    return row["id"]
