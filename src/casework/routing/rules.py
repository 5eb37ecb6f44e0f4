"""Evaluating the ordered routing rules against a draft case.

A rule's ``conditions`` is a JSON object; every key present must hold:

- ``kind``, ``petition_type``, ``category``: the draft's value is one of the list
- ``civil``, ``law_related``: the category's flag equals the value
- ``respondent_kind``: at least one respondent is of one of these kinds
- ``respondent_kind_all``: there are respondents and all are of these kinds
- ``headcount_min`` / ``headcount_max``, ``amount_min`` / ``amount_max``: bounds, inclusive
- ``division_prefix``: the case's division code starts with it
- ``pending_litigation``: the draft says a lawsuit on the matter is pending
- ``act_known_within``: a time-limit code; the applicant learned of the act
  on a date from which that period had not yet run out on receipt
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from msgspec import Struct

from casework.deadlines.calendar import HolidayCalendar, compute_due


@dataclass(frozen=True)
class Draft:
    kind: str
    petition_type: str | None
    category: str
    civil: bool
    law_related: bool
    respondent_kinds: tuple[str, ...]
    headcount: int
    amount: Decimal | None
    division_code: str
    pending_litigation: bool
    act_known_on: dt.date | None
    received_on: dt.date


class Rule(Struct, frozen=True):
    """A routing rule as the router tries it (routing/schemas.py shows it,
    with whether it is active)."""

    id: int
    code: str
    position: int
    conditions: dict[str, Any]
    track: str
    body_kind: str
    body_max_level: int | None
    reason_zh: str
    reason_en: str
    source: str


@dataclass
class Match:
    rule: Rule
    explained: list[str] = field(default_factory=list)


KNOWN_CONDITIONS = {
    "kind", "petition_type", "category", "civil", "law_related", "respondent_kind",
    "respondent_kind_all", "headcount_min", "headcount_max", "amount_min", "amount_max",
    "division_prefix", "pending_litigation", "act_known_within",
}


def first_match(
    rules: list[Rule],
    draft: Draft,
    cal: HolidayCalendar,
    window: Callable[[str], tuple[int, str] | None],
) -> Match | None:
    """The first active rule, in position order, whose conditions all hold."""
    for rule in sorted(rules, key=lambda r: r.position):
        explained = _check(rule.conditions, draft, cal, window)
        if explained is not None:
            return Match(rule, explained)
    return None


def _check(
    conditions: dict[str, Any],
    draft: Draft,
    cal: HolidayCalendar,
    window: Callable[[str], tuple[int, str] | None],
) -> list[str] | None:
    said: list[str] = []
    for key, want in conditions.items():
        if key in ("kind", "petition_type", "category"):
            value = getattr(draft, key)
            if value not in want:
                return None
            said.append(f"{key}={value}")
        elif key in ("civil", "law_related"):
            if getattr(draft, key) != bool(want):
                return None
            said.append(f"{key}={bool(want)}".lower())
        elif key == "respondent_kind":
            if not set(draft.respondent_kinds) & set(want):
                return None
            said.append(f"respondent is {'/'.join(want)}")
        elif key == "respondent_kind_all":
            if not draft.respondent_kinds or not set(draft.respondent_kinds) <= set(want):
                return None
            said.append(f"all respondents are {'/'.join(want)}")
        elif key in ("headcount_min", "headcount_max"):
            ok = draft.headcount >= want if key.endswith("min") else draft.headcount <= want
            if not ok:
                return None
            said.append(f"headcount {'>=' if key.endswith('min') else '<='} {want}")
        elif key in ("amount_min", "amount_max"):
            if draft.amount is None:
                return None
            bound = Decimal(str(want))
            ok = draft.amount >= bound if key.endswith("min") else draft.amount <= bound
            if not ok:
                return None
            said.append(f"amount {'>=' if key.endswith('min') else '<='} {want}")
        elif key == "division_prefix":
            if not draft.division_code.startswith(str(want)):
                return None
            said.append(f"division under {want}")
        elif key == "pending_litigation":
            if draft.pending_litigation != bool(want):
                return None
            said.append("litigation pending" if want else "no litigation pending")
        elif key == "act_known_within":
            spec = window(str(want))
            if spec is None or draft.act_known_on is None:
                return None
            length, unit = spec
            due = compute_due(cal, draft.act_known_on, length, unit).due_on
            if not (draft.act_known_on <= draft.received_on <= due):
                return None
            said.append(f"act known on {draft.act_known_on}, within {length} {unit} (until {due})")
        else:  # an unknown key never matches: a typo must not widen a rule
            return None
    return said
