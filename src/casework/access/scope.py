"""Which cases a principal may see: the one visibility rule.

Everyone sees only cases whose division lies under their jurisdiction
prefix. Mediators see, within it, only the cases currently with their body
or assigned to them. A case out of scope is answered exactly like a missing
one (404), so its existence does not leak.

``Scope`` is that rule, once: ``allows(row)`` decides for one row,
``sql(alias, args)`` says the same in SQL for every list, feed, count and
export, and ``narrowed(division)`` applies a caller's ``division`` filter
without ever widening it. tests/access/test_scope.py checks that the row
rule and the SQL rule agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol


class _Subject(Protocol):
    id: int
    role: str
    body_id: int | None
    jurisdiction: str


def division_bounds(prefix: str) -> tuple[str, str]:
    """Bounds for ``code LIKE prefix%`` on a "C"-collated column, index-friendly."""
    return prefix, prefix + ":"  # ':' sorts right after '9'


@dataclass(frozen=True)
class Scope:
    prefix: str
    # Mediators: only cases with this body or assigned to this user (a
    # mediator with no body sees only what is assigned to them).
    body_bound: bool = False
    body_id: int | None = None
    user_id: int | None = None

    @classmethod
    def nothing(cls) -> Scope:
        """A scope no case is in (a filter outside the caller's jurisdiction)."""
        return cls("~")  # division codes are digits: nothing sorts after "~"

    @classmethod
    def of(cls, principal: _Subject) -> Scope:
        if principal.role == "mediator":
            return cls(principal.jurisdiction, True, principal.body_id, principal.id)
        return cls(principal.jurisdiction)

    @property
    def bounds(self) -> tuple[str, str]:
        return division_bounds(self.prefix)

    def covers(self, division_code: str) -> bool:
        """The division lies within the jurisdiction (bodies not considered)."""
        return division_code.startswith(self.prefix)

    def narrowed(self, division: str | None) -> Scope | None:
        """This scope limited to ``division`` (a caller's filter); None when the
        two do not meet. A filter never widens: a wider one keeps this scope."""
        if not division:
            return self
        if division.startswith(self.prefix):
            return replace(self, prefix=division)
        if self.prefix.startswith(division):
            return self
        return None

    def allows(self, case: Mapping[str, Any]) -> bool:
        """``case`` carries division_code, body_id and assignee_id."""
        if not self.covers(case["division_code"]):
            return False
        if self.body_bound:
            with_body = self.body_id is not None and case["body_id"] == self.body_id
            return with_body or case["assignee_id"] == self.user_id
        return True

    def sql(self, alias: str, args: list[Any]) -> str:
        """A WHERE fragment over ``case_file AS alias``; appends its parameters to ``args``."""
        args.extend(self.bounds)
        sql = f"({alias}.division_code >= ${len(args) - 1} AND {alias}.division_code < ${len(args)}"
        return sql + self.body_sql(alias, args) + ")"

    def body_sql(self, alias: str, args: list[Any]) -> str:
        """The body part alone (" AND ..." or ""), for a query that bounds the
        division on another table's column (the backlog's)."""
        if not self.body_bound:
            return ""
        args.extend([self.body_id, self.user_id])
        # body_id = NULL is never true: a mediator with no body sees only assigned cases.
        return f" AND ({alias}.body_id = ${len(args) - 1} OR {alias}.assignee_id = ${len(args)})"

    @property
    def whole_divisions(self) -> bool:
        """Every case of its divisions: the backlog's per-division counters answer for it."""
        return not self.body_bound


async def visible_case_id(conn: Any, principal: _Subject, reference: str) -> int | None:
    """The case's id when it exists and the principal may see it, else None."""
    row = await conn.fetchrow(
        "SELECT id, division_code, body_id, assignee_id FROM case_file WHERE reference = $1", reference
    )
    if row is None or not Scope.of(principal).allows(row):
        return None
    return row["id"]
