"""Who is falling behind: divisions, bodies or categories ranked by overdue
rate (overdue / open, as of today) or by on-time conclusion rate over a
period, with the counts behind each rate and the previous period beside it.

The open, overdue and due-soon counts are the summary's (the same counters
or the same case rows, backlog.service); on-time conclusion is the metrics'
one definition (backlog.metrics.on_time_counts), grouped. Ranking divisions
lists every division of the level from the division table, with or without
cases, so the dashboard can draw the whole city.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework import reads
from casework.access.service import Principal
from casework.backlog import service
from casework.backlog.metrics import DEFINITIONS, on_time_counts, rate
from casework.backlog.schemas import Crumb, Period, RankingRow, Rankings
from casework.problems import invalid

RANK_DEFINITIONS = {
    "overdue_rate": {
        "zh": "超期率：在办案件中已超期（办理机关正在计时的时限已过到期日）的比例，按今天计算；临期、超期均按案件计，每件一次。",
        "en": "Overdue rate: the share of open cases that are overdue today (a running clock of the handling body "
              "past its due date); cases counted once each, as in the summary.",
    },
    "on_time_rate": DEFINITIONS["on_time_conclusion_rate"],
    "order": {
        "zh": "排名从落后者开始：按超期率从高到低，或按按期办结率从低到高；没有在办案件（或期内没有办结）的不参与排名。",
        "en": "Worst first: overdue rate highest first, or on-time conclusion rate lowest first; rows without open "
              "cases (or without conclusions in the period) are not ranked.",
    },
}

_ON_TIME_GROUP = {"body": "coalesce(p.body_id::text, '')", "category": "coalesce(c.category_code, '')"}


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before start..end."""
    days = (end - start).days
    prev_end = start - dt.timedelta(days=1)
    return prev_end - dt.timedelta(days=days), prev_end


def _own_level(prefix: str) -> int:
    """The length of the level a (possibly zero-padded) prefix really names:
    140403000 names the county 140403 (cases recorded at the county's own level)."""
    for length in service.LEVEL_LENGTHS:
        if not prefix[length:].strip("0"):
            return length
    return len(prefix)


async def _division_rows(conn: Any, scope: str, depth: int, keys: set[str]) -> dict[str, tuple[str, str | None]]:
    """{prefix: (label, drill_down)} for every division of the level under
    ``scope`` and every key the cases produced."""
    named = {r["prefix"]: r["name_zh"] for r in await conn.fetch(
        "SELECT prefix, name_zh FROM division WHERE starts_with(prefix, $1) AND length(prefix) = $2", scope, depth)}
    out: dict[str, tuple[str, str | None]] = {}
    for prefix in sorted(set(named) | keys):
        level = _own_level(prefix)
        if level < len(prefix):
            # Cases recorded at a higher level than the one ranked (e.g. a county's own cases among its townships).
            owner = prefix[:level]
            name = named.get(owner) or await conn.fetchval(
                "SELECT name_zh FROM division WHERE code = $1", owner.ljust(12, "0")) or owner
            out[prefix] = (f"{name}（本级）", None)
        else:
            out[prefix] = (named.get(prefix) or await conn.fetchval(
                "SELECT name_zh FROM division WHERE code = $1", prefix.ljust(12, "0")) or prefix,
                prefix if len(prefix) < 12 else None)
    return out


def _row(key: str, label: str, drill: str | None, open_: dict[str, int], now: dict[str, int],
         before: dict[str, int]) -> RankingRow:
    return RankingRow(
        key=key if key != "" else None, label=label, drill_down=drill, rank=None,
        open=open_["open"], overdue=open_["overdue"], due_soon=open_["due_soon"],
        overdue_rate=rate(open_["overdue"], open_["open"]),
        concluded=now["concluded"], on_time=now["on_time"], on_time_rate=rate(now["on_time"], now["concluded"]),
        previous_concluded=before["concluded"], previous_on_time=before["on_time"],
        previous_on_time_rate=rate(before["on_time"], before["concluded"]),
    )


def _ranked(rows: list[RankingRow], sort: str) -> list[RankingRow]:
    """Worst first; the rows without the rate follow, largest first."""
    if sort == "overdue_rate":
        def eligible(r: RankingRow) -> bool:
            return r.open > 0

        def order(r: RankingRow) -> tuple:
            return (-(r.overdue_rate or 0), -r.overdue, -r.open, r.label)
    else:
        def eligible(r: RankingRow) -> bool:
            return r.concluded > 0

        def order(r: RankingRow) -> tuple:
            return (r.on_time_rate or 0, -(r.concluded - r.on_time), -r.concluded, r.label)
    ranked = sorted((r for r in rows if eligible(r)), key=order)
    for place, row in enumerate(ranked, 1):
        row.rank = place
    rest = sorted((r for r in rows if not eligible(r)), key=lambda r: (-r.open, -r.concluded, r.label))
    return ranked + rest


async def rankings(
    actor: Principal, *, by: str, depth: int | None, sort: str, start: dt.date, end: dt.date,
    previous: tuple[dt.date, dt.date], division: str | None,
) -> Rankings:
    today, soon = await service.as_of()
    within = service.scope_for(actor, division)
    zero = {"open": 0, "overdue": 0, "due_soon": 0}
    none = {"concluded": 0, "on_time": 0}
    base = {"as_of": today, "due_soon_until": soon, "by": by, "sort": sort, "definitions": RANK_DEFINITIONS,
            "period": Period(start, end), "previous": Period(*previous)}
    if within is None:
        return Rankings(**base, scope=division, scope_name=None, scope_path=[], depth=depth,
                        totals=_row("", "合计", None, zero, none, none), rows=[])
    scope = within.prefix
    if by == "division":
        child = service.child_length(scope)
        if child is None:
            raise invalid([{"field": "division", "message": "a village has no divisions below it"}])
        depth = depth or child
        if depth not in service.LEVEL_LENGTHS or depth <= len(scope):
            raise invalid([{"field": "depth", "message": "must be a level below the scope: "
                            + ", ".join(str(n) for n in service.LEVEL_LENGTHS if n > len(scope))}])
        group = f"left(c.division_code, {depth})"
    else:
        depth = None
        group = _ON_TIME_GROUP[by]
    async def figures(conn: Any) -> tuple[Any, ...]:
        counters = (within.whole_divisions and len(scope) in service.LEVEL_LENGTHS
                    and (by != "division" or depth == service.child_length(scope)))
        if counters:
            open_rows = {r["value"]: r for r in await service._tally(conn, scope, by, today, soon)}
        else:
            grouped = await service._grouped(conn, within, [by], depth, today, soon)
            open_rows = {r["key"][by]: r for r in grouped}
        now = await on_time_counts(conn, within, start, end, group)
        before = await on_time_counts(conn, within, previous[0], previous[1], group)
        keys = set(open_rows) | set(now) | set(before)
        scope_name, path = await service.scope_names(conn, scope)
        if by == "division":
            labelled = await _division_rows(conn, scope, depth, keys)
        else:
            labels = await service._labels(conn, scope, scope_name, [{by: k} for k in keys])
            labelled = {k: (labels.get((by, k), k or "—"), None) for k in keys}
        return open_rows, now, before, labelled, scope_name, [Crumb(**c) for c in path]

    open_rows, now, before, labelled, scope_name, scope_path = await reads.read(figures)
    rows = [_row(k, label, drill, open_rows.get(k, zero), now.get(k, none), before.get(k, none))
            for k, (label, drill) in labelled.items()]

    def total(field: str) -> int:
        return sum(getattr(r, field) for r in rows)

    totals = _row("", "合计", None, {k: total(k) for k in zero},
                  {"concluded": total("concluded"), "on_time": total("on_time")},
                  {"concluded": total("previous_concluded"), "on_time": total("previous_on_time")})
    return Rankings(**base, scope=scope, scope_name=scope_name, scope_path=scope_path, depth=depth,
                    totals=totals, rows=_ranked(rows, sort))
