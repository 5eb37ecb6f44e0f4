"""The rates the petition bureau's superiors ask about, each with its definition.

Every figure is scoped to the caller's jurisdiction (the case's division)
and to a period of Beijing dates ``from``..``to`` (both included). The
definitions below are returned next to the numbers by
``GET /api/v1/backlog/metrics`` and repeated in docs/backlog.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from casework import reads
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.backlog.labels import RATING_ZH, TRACK_ZH
from casework.backlog.schemas import BacklogMetrics
from casework.backlog.service import period_bounds, scope_for
from casework.proceedings.tracks import registry

MEDIATION_OUTCOMES = ("agreement", "failed", "withdrawn", "party_refused")
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")

DEFINITIONS = {
    "on_time_conclusion_rate": {
        "zh": "按期办结率：期内办结（proceeding.concluded_at 在期内）且至少有一个办理机关法定时限的程序中，"
              "没有任何办理机关时限超期（已停止的时限 met 为假，或办结时仍在计时且已过期）的程序所占比例。"
              "当事人的期限和法院的期限不计入。",
        "en": "Proceedings concluded in the period (proceeding.concluded_at) that had at least one statutory "
              "clock of the handling body; on time when none of those clocks was missed (a stopped clock with "
              "met = false, or a clock still running at conclusion whose due date had passed). A party's window "
              "or a court's clock does not count. Rate = on time / concluded.",
    },
    "mediation_success_rate": {
        "zh": "调解成功率：期内结束的人民调解、行政调解、司法调解程序（结果为达成协议、调解不成、撤回、一方拒绝）中，"
              "达成协议的比例。后来转入其他程序的调解按其结果计入。",
        "en": "Among people's, administrative and judicial mediation proceedings concluded in the period with an "
              "outcome of agreement, failed, withdrawn or party_refused (later escalation does not remove them), "
              "the share with outcome agreement.",
    },
    "repeat_petition_rate": {
        "zh": "重复信访率：期内登记的信访件中，登记时被识别为重复（同一申请人就同一类别、同一被申请人在时间窗口内再次来访）"
              "或关联已终结事项的比例。",
        "en": "Among petitions received in the period, the share flagged at intake as a possible repeat (same "
              "applicant, same category, same respondent within the repeat window) or linked to a terminated "
              "matter (related_case_id).",
    },
    "days_to_conclusion": {
        "zh": "办结用时：期内办结的程序，从程序开启（opened_at）到办结（concluded_at）的自然日数，按办理轨道给出平均数和中位数。",
        "en": "For proceedings concluded in the period, calendar days from opened_at to concluded_at, per track: "
              "count, mean and median.",
    },
    "satisfaction": {
        "zh": "满意度分布：期内提交的评价（feedback.created_at），按满意、基本满意、不满意计数；满意率 = (满意 + 基本满意) / 总数。",
        "en": "Ratings submitted in the period (feedback.created_at) counted as satisfied, basically_satisfied, "
              "dissatisfied; satisfied share = (satisfied + basically_satisfied) / all. Read from the feedback "
              "table when it exists.",
    },
}


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


# On-time conclusion, the one definition (DEFINITIONS above), per group: the
# metrics ask for one group (''), the rankings for a division prefix, the
# proceeding's body or the case's category. Only the handling body's clocks
# count: a party's window (which may lapse after the opinion) or a court's
# clock never makes a body late (docs/proceedings.md, whose clock).
_ON_TIME = """
SELECT g, count(*) AS concluded, count(*) FILTER (WHERE NOT late) AS on_time
FROM (SELECT p.id, {group} AS g,
             bool_or(k.met IS FALSE OR (k.state <> 'stopped' AND k.due_on <
                     (p.concluded_at AT TIME ZONE 'UTC' + interval '8 hours')::date)) AS late
      FROM proceeding p JOIN case_file c ON c.id = p.case_id
      JOIN clock k ON k.proceeding_id = p.id AND k.whose = 'body'
      WHERE p.concluded_at >= $1 AND p.concluded_at < $2 AND {cases}
      GROUP BY 1, 2) x
GROUP BY g
"""


async def on_time_counts(conn: Any, scope: Scope, start: dt.date, end: dt.date,
                         group: str = "''") -> dict[str, dict[str, int]]:
    """{group value: {"concluded", "on_time"}} for proceedings concluded in
    start..end (Beijing dates) on cases in ``scope``; ``group`` is an SQL
    expression over ``p`` (proceeding) and ``c`` (case_file)."""
    lo, hi = period_bounds(start, end)
    args: list[Any] = [lo, hi]
    cases = scope.sql("c", args)
    rows = await conn.fetch(_ON_TIME.format(group=group, cases=cases), *args)
    return {r["g"]: {"concluded": int(r["concluded"]), "on_time": int(r["on_time"])} for r in rows}


async def metrics(actor: Principal, *, start: dt.date, end: dt.date, division: str | None) -> BacklogMetrics:
    within = scope_for(actor, division)
    result: dict[str, Any] = {"scope": within.prefix if within else None, "from": start, "to": end,
                              "definitions": DEFINITIONS}
    lo, hi = period_bounds(start, end)
    # No case at all when the caller asked outside their jurisdiction.
    scope = within or Scope.nothing()
    args: list[Any] = [lo, hi]
    cases = scope.sql("c", args)  # $3.. : the same fragment in every query below

    async def figures(conn: Any) -> tuple[Any, ...]:
        on_time = (await on_time_counts(conn, scope, start, end)).get("", {"concluded": 0, "on_time": 0})
        mediation = await conn.fetchrow(
            f"""SELECT count(*) AS concluded, count(*) FILTER (WHERE p.outcome = 'agreement') AS agreements
               FROM proceeding p JOIN case_file c ON c.id = p.case_id
               WHERE p.track = ANY(${len(args) + 1}::text[]) AND p.outcome = ANY(${len(args) + 2}::text[])
                 AND p.concluded_at >= $1 AND p.concluded_at < $2 AND {cases}""",
            *args, sorted(registry().mediation_tracks), list(MEDIATION_OUTCOMES),
        )
        repeats = await conn.fetchrow(
            f"""SELECT count(*) AS petitions,
                      count(*) FILTER (WHERE jsonb_array_length(c.possible_repeats) > 0
                                       OR c.related_case_id IS NOT NULL) AS repeats
               FROM case_file c
               WHERE c.kind = 'petition' AND c.received_at >= $1 AND c.received_at < $2 AND {cases}""",
            *args,
        )
        durations = await conn.fetch(
            f"""SELECT p.track, count(*) AS n,
                      avg(extract(epoch FROM p.concluded_at - p.opened_at) / 86400) AS mean,
                      percentile_cont(0.5) WITHIN GROUP
                          (ORDER BY extract(epoch FROM p.concluded_at - p.opened_at) / 86400) AS median
               FROM proceeding p JOIN case_file c ON c.id = p.case_id
               WHERE p.concluded_at >= $1 AND p.concluded_at < $2 AND {cases}
               GROUP BY p.track ORDER BY p.track""",
            *args,
        )
        satisfaction: dict[str, Any] = {"available": False, "counts": {r: 0 for r in RATINGS}, "total": 0,
                                         "satisfied_share": None}
        if await conn.fetchval("SELECT to_regclass('feedback') IS NOT NULL"):
            rows = await conn.fetch(
                f"""SELECT f.rating, count(*) AS n FROM feedback f JOIN case_file c ON c.id = f.case_id
                   WHERE f.created_at >= $1 AND f.created_at < $2 AND {cases}
                   GROUP BY f.rating""",
                *args,
            )
            counts = {r: 0 for r in RATINGS}
            counts.update({r["rating"]: int(r["n"]) for r in rows if r["rating"] in counts})
            total = sum(counts.values())
            satisfaction = {
                "available": True, "counts": counts, "total": total,
                "satisfied_share": rate(counts["satisfied"] + counts["basically_satisfied"], total),
            }
        return on_time, mediation, repeats, durations, satisfaction

    on_time, mediation, repeats, durations, satisfaction = await reads.read(figures)
    satisfaction["labels_zh"] = RATING_ZH
    result.update({
        "on_time_conclusion_rate": {
            "rate": rate(on_time["on_time"], on_time["concluded"]),
            "on_time": on_time["on_time"], "concluded": on_time["concluded"],
        },
        "mediation_success_rate": {
            "rate": rate(mediation["agreements"], mediation["concluded"]),
            "agreements": mediation["agreements"], "concluded": mediation["concluded"],
        },
        "repeat_petition_rate": {
            "rate": rate(repeats["repeats"], repeats["petitions"]),
            "repeats": repeats["repeats"], "petitions": repeats["petitions"],
        },
        "days_to_conclusion": [
            {"track": r["track"], "track_zh": TRACK_ZH.get(r["track"], r["track"]), "concluded": r["n"],
             "mean_days": round(float(r["mean"]), 1), "median_days": round(float(r["median"]), 1)}
            for r in durations
        ],
        "satisfaction": satisfaction,
    })
    return msgspec.convert(result, BacklogMetrics)
