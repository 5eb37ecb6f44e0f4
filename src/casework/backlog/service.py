"""Backlog figures for a jurisdiction: summary, due lists, aging (trends: backlog/trends.py).

Open-case counts come from ``backlog_tally`` (rolled-up counters kept by
database triggers at commit) when the scope is a whole division level
(province, city, county, township, village) and one dimension is asked
for; otherwise from ``backlog_case`` (one narrow row per case, kept by the
same triggers). Both give the same numbers: a test checks it.

"Overdue" and "due soon" are per case, from the earliest due date of the
case's clocks that are not stopped: overdue when it is before today (Beijing
date), due soon when it is today or within ``due_soon_working_days``
working days (deadlines.calendar.working_days_until).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from casework import paging, reads, timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.backlog.labels import STAGE_ZH, TRACK_ZH
from casework.backlog.schemas import AgeBucket, Aging, BacklogSummary, DueList
from casework.deadlines.calendar import ONE_DAY, HolidayCalendar, working_days_until
from casework.deadlines.service import holiday_calendar
from casework.problems import invalid
from casework.settings import get_settings

LEVEL_LENGTHS = (0, 2, 4, 6, 9, 12)
DIMENSIONS = ("body", "division", "track", "stage", "category")
AGE_BUCKETS = (("0-15", 0, 15), ("16-30", 16, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))
_COLUMN = {"body": "b.body_id::text", "track": "b.track", "stage": "b.stage", "category": "b.category_code"}


def scope_for(actor: Principal, division: str | None) -> Scope | None:
    """The caller's scope (access.scope) narrowed to ``division``; None when they do not meet."""
    return Scope.of(actor).narrowed(division)


def cases_in(scope: Scope, args: list[Any]) -> tuple[str, str]:
    """(JOIN, WHERE) for ``backlog_case b`` within ``scope``: the division on
    the backlog's own index; a mediator's body through the case row."""
    low, high = scope.bounds
    args.extend([low, high])
    where = f"b.division_code >= ${len(args) - 1} AND b.division_code < ${len(args)}"
    if scope.whole_divisions:
        return "", where
    return "JOIN case_file c ON c.id = b.case_id", where + scope.body_sql("c", args)


def child_length(scope: str) -> int | None:
    return next((n for n in LEVEL_LENGTHS if n > len(scope)), None)


def due_soon_until(cal: HolidayCalendar, today: dt.date, working_days: int) -> dt.date:
    """The last due date that still counts as due soon: the day before the
    (working_days + 1)-th working day after today."""
    day, seen = today, 0
    while True:
        day += ONE_DAY
        if cal.is_working_day(day):
            seen += 1
            if seen > working_days:
                return day - ONE_DAY


async def as_of() -> tuple[dt.date, dt.date]:
    today = timeutil.today()
    return today, due_soon_until(await holiday_calendar(), today, get_settings().due_soon_working_days)


# ---------------------------------------------------------------- summary

async def summary(
    actor: Principal, *, group_by: list[str], division: str | None, use_counters: bool = True,
) -> dict[str, Any]:
    for dim in group_by:
        if dim not in DIMENSIONS:
            raise invalid([{"field": "group_by", "message": f"must be among {', '.join(DIMENSIONS)}"}])
    if len(set(group_by)) != len(group_by) or not group_by:
        raise invalid([{"field": "group_by", "message": "name one to five different dimensions"}])
    today, soon = await as_of()
    within = scope_for(actor, division)
    base = {"as_of": today, "due_soon_until": soon, "group_by": group_by}
    if within is None:
        return {**base, "scope": division, "scope_name": None, "scope_path": [], "source": "none",
                "totals": {"open": 0, "overdue": 0, "due_soon": 0}, "groups": []}
    scope = within.prefix
    child = child_length(scope)
    if "division" in group_by and child is None:
        raise invalid([{"field": "division", "message": "a village has no divisions below it"}])
    async def figures(conn: Any) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]], dict, str | None, list]:
        if use_counters and within.whole_divisions and len(group_by) == 1 and len(scope) in LEVEL_LENGTHS:
            source = "counters"
            rows = await _tally(conn, scope, group_by[0], today, soon)
            # Every open case has one track: the totals are the track rows'.
            totals = rows if group_by[0] == "track" else await _tally(conn, scope, "track", today, soon)
            rows = [{"key": {group_by[0]: r["value"]}, **_counts(r)} for r in rows]
        else:
            source = "cases"
            rows = await _grouped(conn, within, group_by, child, today, soon)
            totals = await _grouped(conn, within, [], child, today, soon)
        scope_name, scope_path = await scope_names(conn, scope)
        labels = await _labels(conn, scope, scope_name, [r["key"] for r in rows])
        return source, rows, totals, labels, scope_name, scope_path

    source, rows, totals, labels, scope_name, scope_path = await reads.read(figures)
    total = {k: sum(r[k] for r in totals) for k in ("open", "overdue", "due_soon")}
    groups = []
    for row in rows:
        key = {k: (v if v != "" else None) for k, v in row["key"].items()}
        if "body" in key and key["body"] is not None:
            key["body"] = int(key["body"])
        groups.append({
            "key": key,
            "label": " / ".join(labels.get((dim, row["key"][dim]), row["key"][dim] or "—") for dim in group_by),
            "open": row["open"], "overdue": row["overdue"], "due_soon": row["due_soon"],
            **({"drill_down": key["division"]} if "division" in key and len(key["division"]) < 12
               and not key["division"].endswith("0" * (len(key["division"]) - len(scope))) else {}),
        })
    groups.sort(key=lambda g: (-g["open"], g["label"]))
    return {**base, "scope": scope, "scope_name": scope_name, "scope_path": scope_path, "source": source,
            "totals": total, "groups": groups}


async def backlog_summary(actor: Principal, *, group_by: list[str], division: str | None) -> BacklogSummary:
    """``summary`` as the API answers it."""
    return msgspec.convert(await summary(actor, group_by=group_by, division=division), BacklogSummary)


def _counts(row: Any) -> dict[str, int]:
    return {"open": int(row["open"]), "overdue": int(row["overdue"]), "due_soon": int(row["due_soon"])}


async def _tally(conn: Any, scope: str, dim: str, today: dt.date, soon: dt.date) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT value, sum(n) AS open,
                  coalesce(sum(n) FILTER (WHERE due_on < $3), 0) AS overdue,
                  coalesce(sum(n) FILTER (WHERE due_on >= $3 AND due_on <= $4), 0) AS due_soon
           FROM backlog_tally WHERE scope = $1 AND dim = $2
           GROUP BY value HAVING sum(n) <> 0""",
        scope, dim, today, soon,
    )
    return [{"value": r["value"], **_counts(r)} for r in rows]


async def _grouped(
    conn: Any, scope: Scope, group_by: list[str], child: int | None, today: dt.date, soon: dt.date,
) -> list[dict[str, Any]]:
    columns = [
        f"left(b.division_code, {child})" if dim == "division" else f"coalesce({_COLUMN[dim]}, '')"
        for dim in group_by
    ]
    select = "".join(f"{col} AS g{i}, " for i, col in enumerate(columns))
    group = f"GROUP BY {', '.join(f'g{i}' for i in range(len(columns)))}" if columns else ""
    args: list[Any] = [today, soon]
    join, where = cases_in(scope, args)
    rows = await conn.fetch(
        f"""SELECT {select} count(*) AS open,
                   count(*) FILTER (WHERE b.due_on < $1) AS overdue,
                   count(*) FILTER (WHERE b.due_on >= $1 AND b.due_on <= $2) AS due_soon
            FROM backlog_case b {join}
            WHERE b.open AND {where} {group}""",
        *args,
    )
    return [
        {"key": {dim: r[f"g{i}"] for i, dim in enumerate(group_by)}, "value": None, **_counts(r)}
        for r in rows if r["open"]
    ]


async def scope_names(conn: Any, prefix: str) -> tuple[str | None, list[dict[str, str]]]:
    """The scope's own name ("全部" for the whole, None for a code the
    division table lacks) and its breadcrumbs, the named levels from the
    province down to it: [{"prefix": "14", "name": "山西省"}, {"prefix":
    "1404", "name": "长治市"}, ...]. One query for both."""
    if not prefix:
        return "全部", []
    levels = [prefix[:n] for n in LEVEL_LENGTHS[1:] if n <= len(prefix)]
    own = prefix.ljust(12, "0")
    rows = await conn.fetch("SELECT code, name_zh FROM division WHERE code = ANY($1::text[])",
                            sorted({own, *(p.ljust(12, "0") for p in levels)}))
    names = {r["code"]: r["name_zh"] for r in rows}
    return names.get(own), [{"prefix": p, "name": names.get(p.ljust(12, "0"), p)} for p in levels]


async def _labels(conn: Any, scope: str, scope_name: str | None,
                  keys: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    bodies = sorted({int(k["body"]) for k in keys if k.get("body")})
    if bodies:
        for r in await conn.fetch("SELECT id, name_zh FROM body WHERE id = ANY($1::int[])", bodies):
            labels[("body", str(r["id"]))] = r["name_zh"]
    labels[("body", "")] = "（未指定机构）"
    categories = sorted({k["category"] for k in keys if "category" in k})
    if categories:
        for r in await conn.fetch("SELECT code, label_zh FROM category WHERE code = ANY($1::text[])", categories):
            labels[("category", r["code"])] = r["label_zh"]
    prefixes = sorted({k["division"] for k in keys if "division" in k})
    if prefixes:
        rows = await conn.fetch(
            "SELECT code, name_zh FROM division WHERE code = ANY($1::text[])", [p.ljust(12, "0") for p in prefixes]
        )
        names = {r["code"]: r["name_zh"] for r in rows}
        for prefix in prefixes:
            if prefix.endswith("0" * (len(prefix) - len(scope))) and len(prefix) > len(scope):
                # The case sits at the scope's own level (e.g. a county-level body).
                labels[("division", prefix)] = f"{scope_name or scope}（本级）"
            else:
                labels[("division", prefix)] = names.get(prefix.ljust(12, "0"), prefix)
    for code, name in TRACK_ZH.items():
        labels[("track", code)] = name
    for code, name in STAGE_ZH.items():
        labels[("stage", code)] = name
    return labels


# ---------------------------------------------------------------- due lists

LIST_KINDS = ("open", "overdue", "due_soon")

_DUE_LIST_SQL = """
SELECT c.id, c.reference, c.kind, c.summary, c.category_code, cat.label_zh AS category_zh,
       c.division_code, dv.name_zh AS division_name, c.track, c.stage, c.body_id,
       bo.name_zh AS body_name, c.received_at, b.due_on,
       k.id AS clock_id, k.time_limit_code, k.state AS clock_state, tl.step_zh, tl.step_en,
       sv.n AS supervision_open, sv.respond_by AS supervision_respond_by
FROM backlog_case b
JOIN case_file c ON c.id = b.case_id
LEFT JOIN LATERAL (SELECT count(*) AS n, min(s.respond_by) AS respond_by FROM supervision s
                   WHERE s.case_id = b.case_id AND s.state = 'open') sv ON true
LEFT JOIN LATERAL (SELECT * FROM clock k WHERE k.case_id = b.case_id AND k.state = 'running' AND k.whose = 'body'
                   ORDER BY k.due_on, k.id LIMIT 1) k ON true
LEFT JOIN time_limit tl ON tl.code = k.time_limit_code
LEFT JOIN body bo ON bo.id = c.body_id
LEFT JOIN division dv ON dv.code = c.division_code
LEFT JOIN category cat ON cat.code = c.category_code
"""


def due_list_query(
    scope: Scope, which: str, today: dt.date, soon: dt.date, filters: dict[str, Any],
    after: tuple[dt.date, int] | None = None, limit: int | None = None,
) -> tuple[str, list[Any]]:
    args: list[Any] = [*scope.bounds]
    # The division on the backlog's index; a mediator's body on the case (joined).
    clauses = ["b.open", "b.division_code >= $1 AND b.division_code < $2" + scope.body_sql("c", args)]

    def add(sql: str, value: Any) -> None:
        args.append(value)
        clauses.append(sql.replace("?", f"${len(args)}"))

    if which == "overdue":
        add("b.due_on < ?", today)
    elif which == "due_soon":
        add("b.due_on >= ?", today)
        add("b.due_on <= ?", soon)
    for name, column in (("track", "b.track"), ("stage", "b.stage"), ("category", "b.category_code"),
                         ("body_id", "b.body_id")):
        if filters.get(name) is not None:
            add(f"{column} = ?", filters[name])
    if after is not None:
        args.extend(after)
        clauses.append(f"(coalesce(b.due_on, 'infinity'::date), b.case_id) > (${len(args) - 1}, ${len(args)})")
    sql = (f"{_DUE_LIST_SQL} WHERE {' AND '.join(clauses)} "
           "ORDER BY coalesce(b.due_on, 'infinity'::date), b.case_id")
    if limit is not None:
        args.append(limit)
        sql += f" LIMIT ${len(args)}"
    return sql, args


def due_item(row: Any, cal: HolidayCalendar, today: dt.date) -> dict[str, Any]:
    due_on = row["due_on"]
    item = {
        "reference": row["reference"], "kind": row["kind"], "summary": row["summary"],
        "category": row["category_code"], "category_zh": row["category_zh"],
        "division_code": row["division_code"], "division_name": row["division_name"],
        "track": row["track"], "track_zh": TRACK_ZH.get(row["track"], row["track"]),
        "stage": row["stage"], "stage_zh": STAGE_ZH.get(row["stage"], row["stage"]),
        "body_id": row["body_id"], "body_name": row["body_name"], "received_at": row["received_at"],
        "clock": None, "days_overdue": 0, "working_days_overdue": 0, "working_days_left": None,
        # Under supervision: an open supervision item (督办) on the case, opened by a
        # supervisor or by the sweep on a breach; closing the last one clears it.
        "supervised": row["supervision_open"] > 0, "supervision_open": row["supervision_open"],
        "supervision_respond_by": row["supervision_respond_by"],
    }
    if due_on is not None:
        left = working_days_until(cal, today, due_on)
        item["clock"] = {"id": row["clock_id"], "time_limit": row["time_limit_code"], "step_zh": row["step_zh"],
                         "step": row["step_en"], "due_on": due_on, "state": row["clock_state"], "whose": "body",
                         "status": "breached" if due_on < today else "running"}
        if due_on < today:
            item["days_overdue"] = (today - due_on).days
            item["working_days_overdue"] = -left
        else:
            item["working_days_left"] = left
    return item


def _after(key: list) -> tuple[dt.date, int]:
    day, case_id = key
    return dt.date.fromisoformat(day), int(case_id)


def _legacy_after(cursor: str) -> tuple[dt.date, int]:
    """The release before wrote ``YYYY-MM-DD.case_id`` in the clear."""
    day, case_id = cursor.split(".")
    return dt.date.fromisoformat(day), int(case_id)


async def due_list(
    actor: Principal, which: str, *, division: str | None, filters: dict[str, Any], limit: int,
    cursor: str | None,
) -> DueList:
    today, soon = await as_of()
    scope = scope_for(actor, division)
    if scope is None:
        return DueList(as_of=today, due_soon_until=soon, items=[], next_cursor=None, has_more=False)
    # asyncpg encodes date.max as 'infinity': cases with no running clock sort last
    after = paging.decode(cursor, _after, legacy=_legacy_after) if cursor else None
    sql, args = due_list_query(scope, which, today, soon, filters, after, limit + 1)
    cal = await holiday_calendar()
    rows = await reads.read(lambda conn: conn.fetch(sql, *args))
    items = [due_item(r, cal, today) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return msgspec.convert({
        "as_of": today, "due_soon_until": soon, "scope": scope.prefix, "items": items,
        "next_cursor": paging.encode(last["due_on"] or dt.date.max, last["id"]) if last is not None else None,
        "has_more": last is not None,
    }, DueList)


# ---------------------------------------------------------------- aging

async def aging(actor: Principal, *, division: str | None) -> Aging:
    today, _ = await as_of()
    within = scope_for(actor, division)
    scope = within.prefix if within is not None else None
    counts = {label: 0 for label, _, _ in AGE_BUCKETS}
    if within is not None:
        if within.whole_divisions and len(within.prefix) in LEVEL_LENGTHS:
            rows = await reads.read(lambda conn: conn.fetch(
                """SELECT value::date AS received_on, sum(n) AS n FROM backlog_tally
                   WHERE scope = $1 AND dim = 'received' GROUP BY value HAVING sum(n) <> 0""",
                within.prefix,
            ))
        else:
            args: list[Any] = []
            join, where = cases_in(within, args)
            rows = await reads.read(lambda conn: conn.fetch(
                f"""SELECT b.received_on, count(*) AS n FROM backlog_case b {join}
                    WHERE b.open AND {where} GROUP BY b.received_on""",
                *args,
            ))
        for row in rows:
            age = (today - row["received_on"]).days
            counts[bucket_of(age)] += int(row["n"])
    return Aging(
        as_of=today, scope=scope,
        definition="open cases by age in calendar days since receipt (Beijing date), today minus received date",
        buckets=[AgeBucket(bucket=label, from_days=lo, to_days=hi, open=counts[label])
                 for label, lo, hi in AGE_BUCKETS],
    )


def bucket_of(age_days: int) -> str:
    for label, lo, hi in AGE_BUCKETS:
        if hi is None or age_days <= hi:
            return label
    return AGE_BUCKETS[-1][0]  # pragma: no cover


# ---------------------------------------------------------------- trends

def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in Beijing time."""
    tz = timeutil.CHINA_TZ
    return (dt.datetime.combine(start, dt.time(), tz), dt.datetime.combine(end + ONE_DAY, dt.time(), tz))
