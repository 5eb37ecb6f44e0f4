"""Parties' ratings of concluded proceedings, as staff see them in a case.

Kept free of imports from ``cases`` so that the case detail can show them.
"""

from __future__ import annotations

from typing import Any

RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")


async def feedback_for_case(conn: Any, case_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT p.seq AS proceeding, f.rating, f.comment, f.created_at
           FROM feedback f JOIN proceeding p ON p.id = f.proceeding_id
           WHERE f.case_id = $1 ORDER BY p.seq""",
        case_id,
    )
    return [dict(r) for r in rows]
