"""Routing: which track and which body a draft case goes to, and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from casework.cache import cached
from casework.db import connection
from casework.deadlines.service import holiday_calendar, time_limits
from casework.proceedings.tracks import registry
from casework.routing.rules import Draft, Rule, first_match


@dataclass
class Decision:
    track: str
    body: dict[str, Any] | None
    rule_id: int | None
    rule_code: str | None
    reason: str
    reason_zh: str
    matched: list[str]
    suggested_track: str | None = None
    overridden: bool = False
    override_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "track": self.track,
            "body": self.body,
            "rule": self.rule_code,
            "reason": self.reason,
            "reason_zh": self.reason_zh,
            "matched": self.matched,
            "suggested_track": self.suggested_track,
            "overridden": self.overridden,
            "override_reason": self.override_reason,
        }


async def _load_rules() -> list[Rule]:
    async with connection() as conn:
        rows = await conn.fetch(
            """SELECT id, code, position, conditions, track, body_kind, body_max_level, reason_zh, reason_en, source
               FROM routing_rule WHERE active ORDER BY position"""
        )
    return [Rule(**{**dict(r), "conditions": json.loads(r["conditions"])}) for r in rows]


async def active_rules() -> list[Rule]:
    return await cached("routing_rules", _load_rules)


async def find_body(
    kind: str, division_code: str, category: str, max_level: int | None = None,
) -> dict[str, Any] | None:
    """The active body of ``kind`` covering the division, nearest level first;
    among equals, one whose remit names the category before one with no remit.
    Cached with the other reference data (cleared when an admin changes it)."""

    async def load() -> dict[str, Any] | None:
        return await _find_body(kind, division_code, category, max_level)

    return await cached(f"body:{kind}:{division_code}:{category}:{max_level}", load)


async def _find_body(kind: str, division_code: str, category: str, max_level: int | None) -> dict[str, Any] | None:
    async with connection() as conn:
        row = await conn.fetchrow(
            """SELECT b.id, b.code, b.name_zh, b.name_en, b.kind, b.division_code
               FROM body b JOIN division d ON d.code = b.division_code
               WHERE b.kind = $1 AND b.active AND starts_with($2, d.prefix)
                 AND (cardinality(b.remit) = 0 OR $3 = ANY(b.remit))
                 AND ($4::smallint IS NULL OR d.level <= $4)
               ORDER BY d.level DESC, cardinality(b.remit) > 0 DESC, b.id
               LIMIT 1""",
            kind, division_code, category, max_level,
        )
    return dict(row) if row else None


async def decide(draft: Draft) -> Decision:
    rules = await active_rules()
    cal = await holiday_calendar()
    limits = await time_limits()

    def window(code: str) -> tuple[int, str] | None:
        lim = limits.get(code)
        return (lim.length, lim.unit) if lim else None

    match = first_match(rules, draft, cal, window)
    if match is None:
        body = await find_body("triage", draft.division_code, draft.category)
        return Decision(
            track="triage", body=body, rule_id=None, rule_code=None,
            reason="no routing rule matched: sent to the triage queue of the rule-of-law service centre",
            reason_zh="未匹配分流规则，转入法治服务中心分流队列", matched=[],
        )
    body = await find_body(
        match.rule.body_kind, draft.division_code, draft.category, match.rule.body_max_level
    )
    reason = f"{match.rule.reason_en} (rule {match.rule.code}: {'; '.join(match.explained)})"
    if body is None:
        reason += f"; no active {match.rule.body_kind} covers division {draft.division_code}"
    return Decision(
        track=match.rule.track, body=body, rule_id=match.rule.id, rule_code=match.rule.code,
        reason=reason, reason_zh=match.rule.reason_zh, matched=match.explained,
    )


async def override(decision: Decision, *, track: str, reason: str, draft: Draft) -> Decision:
    body = await find_body(registry().track(track).body_kind, draft.division_code, draft.category)
    return Decision(
        track=track, body=body, rule_id=decision.rule_id, rule_code=decision.rule_code,
        reason=f"overridden: {reason} (rules suggested {decision.track}: {decision.reason})",
        reason_zh=decision.reason_zh, matched=decision.matched, suggested_track=decision.track,
        overridden=True, override_reason=reason,
    )
