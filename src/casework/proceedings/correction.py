"""Correcting the day an action took effect.

An action's event and the clock events it wrote share their transaction
(``case_event.tx``). A correction finds that action's events, and through
them the clocks the action stopped on its effective day and the clocks it
started from it; each is counted again from the corrected day (a stopped
clock's outcome included: a breach that no longer holds is withdrawn and
its supervision item closed, by ``deadlines.recompute``). The timeline is
append-only: the action's event stays, and ``effective_on_corrected`` says
what changed, from what, to what and why.

A deemed acceptance (行政复议法 art. 30(3)) is corrected the same way when
the body in fact accepted within the review period and it was entered only
after the law had deemed it: the correction names the ``deemed_accepted``
event and the day the body accepted, on or before the deemed day; the
review period is then met on that day and the decision period runs from
it.

Not carried along: clocks started later from the moved ones (a lapse's
follow-on period) and dates the action copied into a record; both are
named in docs/proceedings.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

from casework import timeutil
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_events
from casework.db import connection, transaction
from casework.deadlines.engine import Journal
from casework.deadlines.recompute import recompute_clock
from casework.problems import Problem, invalid, not_found
from casework.proceedings.act import moment
from casework.proceedings.schemas import ACTION_BODIES, EffectiveDateCorrection
from casework.proceedings.service import DATE_FLOOR_YEAR

_BATCH = """
SELECT e.id, e.type, e.proceeding_id, e.data, e.at
FROM case_event e
WHERE e.case_id = $1 AND coalesce(e.tx, e.xmin::text::bigint) = $2
ORDER BY e.id
"""


def _data(row: Any) -> dict[str, Any]:
    raw = row["data"]
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


DEEMED = "deemed_accepted"


def _lapse_work(by: str) -> bool:
    """A clock event the lapse settling wrote (after an action, in its transaction)."""
    return by.startswith("lapse:") or by in (DEEMED, "deemed_withdrawn")


async def _action_batch(conn: Any, case_id: int, event_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The action's event and the clock events it wrote: the action's own by
    name; for a deemed acceptance, the lapse of the review and the decision
    period it began."""
    tx = await conn.fetchval("SELECT coalesce(tx, xmin::text::bigint) FROM case_event WHERE id = $1 AND case_id = $2",
                             event_id, case_id)
    if tx is None:
        raise not_found("event")
    batch = [{**dict(r), "data": _data(r)} for r in await conn.fetch(_BATCH, case_id, tx)]
    event = next(e for e in batch if e["id"] == event_id)
    clocks = [e for e in batch if e["type"] in ("clock_started", "clock_stopped")]
    if event["type"] == DEEMED:
        lapse = f"lapse:{event['data'].get('time_limit')}"
        return event, [e for e in clocks if e["data"].get("by") in (DEEMED, lapse)
                       and e["proceeding_id"] == event["proceeding_id"]]
    # An action's own event is the first its transaction wrote, with clock
    # events naming the action after it.
    mine = [e for e in clocks if not _lapse_work(e["data"].get("by") or "")]
    if batch[0]["id"] != event_id or not {e["data"].get("by") for e in mine} & set(ACTION_BODIES):
        raise Problem(409, "not-an-action", "Not an action",
                      f"event {event_id} ({event['type']}) is not an action that stopped or started a clock, nor a "
                      "deemed acceptance; only their effective date is corrected here")
    return event, mine


def _check(data: EffectiveDateCorrection, before: dt.date, opened: dt.date, today: dt.date, *,
           deemed_on: dt.date | None) -> None:
    errors = []
    if deemed_on is not None and data.effective_on > deemed_on:
        errors.append({"field": "effective_on", "message": f"a deemed acceptance is replaced only by the body's "
                                                           f"acceptance on or before the deemed day ({deemed_on})"})
    if data.effective_on > today:
        errors.append({"field": "effective_on", "message": "must not be in the future"})
    elif data.effective_on.year < DATE_FLOOR_YEAR:
        errors.append({"field": "effective_on", "message": f"is implausibly old (before {DATE_FLOOR_YEAR})"})
    elif data.effective_on < opened:
        errors.append({"field": "effective_on", "message": f"must not be before the proceeding opened ({opened})"})
    elif data.effective_on == before:
        errors.append({"field": "effective_on", "message": f"is already the action's effective date ({before})"})
    if not data.reason.strip():
        errors.append({"field": "reason", "message": "must say why the date is corrected"})
    if errors:
        raise invalid(errors)


async def _moved_clocks(conn: Any, case_id: int, batch: list[dict[str, Any]], written: dt.date, on: dt.date
                        ) -> list[tuple[str, dict[str, Any]]]:
    """(how, clock row) for each clock the batch stopped or started on the
    day the action was written with, and that stands on ``on`` now, locked."""
    moved = []
    for event in batch:
        kind = {"clock_stopped": "stopped", "clock_started": "started"}.get(event["type"])
        if kind is None or event["data"].get(f"{kind}_on") != str(written):
            continue
        column = "stopped_on" if kind == "stopped" else "started_on"
        rows = await conn.fetch(
            f"""SELECT * FROM clock WHERE case_id = $1 AND proceeding_id = $2 AND time_limit_code = $3
                  AND {column} = $4 AND record_id IS NOT DISTINCT FROM $5 ORDER BY id FOR UPDATE""",
            case_id, event["proceeding_id"], event["data"]["time_limit"], on, event["data"].get("record_id"))
        moved += [(kind, dict(r)) for r in rows]
    return moved


async def correct_effective_date(
    reference: str, event_id: int, data: EffectiveDateCorrection, *, actor: Principal, if_match: str | None,
    render: Callable[[Any, int, Principal], Awaitable[Any]],
) -> Any:
    today = timeutil.today()
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, if_match)
            event, batch = await _action_batch(conn, case["id"], event_id)
            deemed = event["type"] == DEEMED
            on_key = "on" if deemed else "effective_on"
            written = dt.date.fromisoformat(event["data"][on_key]) if event["data"].get(on_key) \
                else timeutil.local_date(event["at"])
            # Corrected before: the clocks now stand on the last correction's day.
            last = await conn.fetchval(
                """SELECT data->>'effective_on' FROM case_event WHERE case_id = $1 AND type = 'effective_on_corrected'
                     AND (data->>'event_id')::bigint = $2 ORDER BY id DESC LIMIT 1""", case["id"], event_id)
            before = dt.date.fromisoformat(last) if last else written
            opened = timeutil.local_date(await conn.fetchval("SELECT opened_at FROM proceeding WHERE id = $1",
                                                             event["proceeding_id"]))
            _check(data, before, opened, today, deemed_on=written if deemed else None)
            journal = Journal()
            changed = []
            for how, row in await _moved_clocks(conn, case["id"], batch, written, before):
                if how == "stopped":
                    # A review the law deemed lapsed was in fact answered in time.
                    outcome = "met" if deemed and row["outcome"] == "deemed" else row["outcome"]
                    await conn.execute("UPDATE clock SET stopped_on = $2, outcome = $3, met = ($3 = 'met') "
                                       "WHERE id = $1", row["id"], data.effective_on, outcome)
                    row = {**row, "stopped_on": data.effective_on, "outcome": outcome}
                    await recompute_clock(conn, row, journal, reason=f"effective date corrected: {data.reason}",
                                          today=today)
                else:
                    await recompute_clock(conn, row, journal, reason=f"effective date corrected: {data.reason}",
                                          today=today, started_on=data.effective_on)
                changed.append({"clock_id": row["id"], "time_limit": row["time_limit_code"], how: str(data.effective_on)})
            if deemed:
                await conn.execute("UPDATE proceeding SET accepted_at = $2 WHERE id = $1", event["proceeding_id"],
                                   moment(data.effective_on, today))
            journal.events.insert(0, ("effective_on_corrected", {
                "event_id": event_id, "event_type": event["type"], "effective_on_before": str(before),
                "effective_on": str(data.effective_on), "reason": data.reason.strip(), "clocks": changed,
                **({"accepted_by_the_body": True} if deemed else {}),
            }, event["proceeding_id"]))
            await core.sync_case(conn, case["id"], case["current_proceeding_id"])
            await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor,
                                  events=journal.events)
            return await render(conn, case["id"], actor)
