"""Proceeding actions: one entry point (``perform``) that locks the case,
checks the ETag and the transition table, settles what the law already
decided (lapsed periods: deemed acceptance or withdrawal, closed windows),
applies the action on its effective date and writes its events in the same
transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import msgspec.inspect

from casework import timeutil
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_events
from casework.db import connection, transaction
from casework.problems import Problem, invalid, not_found
from casework.proceedings import transitions as tt
from casework.proceedings.act import Act, conflict_state
from casework.proceedings.handlers import HANDLERS
from casework.proceedings.lapses import settle_lapses
from casework.proceedings.schemas import ACTION_BODIES, Common

DATE_FLOOR_YEAR = 1990

def decode_body(action: str, body: bytes) -> Common:
    """The action's struct from the request body: 400 for a malformed or
    mistyped body, 422 naming each field the action requires and lacks."""
    shape = ACTION_BODIES.get(action)
    if shape is None:
        raise not_found("action")
    try:
        return msgspec.json.decode(body or b"{}", type=shape)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if message.startswith("Object missing required field") and " - at `$." not in message:
            raise invalid([{"field": name, "message": f"is required for {action}"}
                           for name in _missing(shape, body)]) from None
        field_name = message.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in message else "body"
        raise Problem(400, "validation", "Invalid request", f"{field_name}: {message}",
                      errors=[{"field": field_name, "message": message.split(" - at ")[0]}]) from None
    except msgspec.DecodeError:
        raise Problem(400, "validation", "Invalid request", "the body is not valid JSON",
                      errors=[{"field": "body", "message": "is not valid JSON"}]) from None


def _missing(shape: type, body: bytes) -> list[str]:
    """Every field the action requires that the body lacks (msgspec names only the first)."""
    try:
        given = msgspec.json.decode(body or b"{}")
    except msgspec.DecodeError:
        given = {}
    given = given if isinstance(given, dict) else {}
    info = msgspec.inspect.type_info(shape)
    return [f.encode_name for f in info.fields if f.required and f.encode_name not in given]


async def perform(
    reference: str, action: str, data: Common, *, actor: Principal, if_match: str | None,
    render: Callable[[Any, int, Principal], Awaitable[Any]],
) -> Any:
    """Take the action and answer with ``render(conn, case_id, actor)`` (the
    read model, given by the caller) from the same transaction."""
    today = timeutil.today()
    # What would lapse after the action took effect does not (a backdated
    # acceptance within the period is an acceptance, not a deemed one).
    settled = await settle_first(reference, actor, if_match, min(today, data.effective_on or today))
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, settled)
            await apply_action(conn, case, action, data, actor=actor, today=today)
            await settle_lapses(conn, [await core.lock_case_by_id(conn, case["id"])], today)
            return await render(conn, case["id"], actor)


async def settle_first(reference: str, actor: Principal, if_match: str | None, as_of: dt.date) -> str:
    """Settle what the law decided on the case as of ``as_of`` in a transaction
    of its own, before a caller's write: it stands whatever becomes of the
    write (a refused action must not undo a deemed acceptance). Returns the
    caller's ETag moved on only by what was settled, for the write's own
    lock (a concurrent user's change still answers 412)."""
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, if_match)
            await settle_lapses(conn, [case], as_of)
            return core.etag(case["id"], await conn.fetchval("SELECT version FROM case_file WHERE id = $1",
                                                              case["id"]))


def check_effective_on(data: Common, proceeding: dict[str, Any], today: dt.date) -> dt.date:
    on = data.effective_on or today
    errors = []
    if on > today:
        errors.append({"field": "effective_on", "message": "must not be in the future"})
    elif on.year < DATE_FLOOR_YEAR:
        errors.append({"field": "effective_on", "message": f"is implausibly old (before {DATE_FLOOR_YEAR})"})
    elif on < today and not (data.backdate_reason or "").strip():
        errors.append({"field": "backdate_reason", "message": "is required when effective_on is before today"})
    opened = timeutil.local_date(proceeding["opened_at"])
    if on < opened:
        errors.append({"field": "effective_on", "message": f"must not be before the proceeding opened ({opened})"})
    if errors:
        raise invalid(errors)
    return on


async def apply_action(
    conn: Any, case: dict[str, Any], action: str, data: Common, *, actor: Principal | None, today: dt.date,
    check_roles: bool = True,
) -> Act:
    """Check ``action`` against the track's transition table and apply it to
    the (locked) case's current proceeding on its effective date, with its
    events; bumps the version."""
    proceeding = dict(await conn.fetchrow("SELECT * FROM proceeding WHERE id = $1", case["current_proceeding_id"]))
    track, state = proceeding["track"], proceeding["state"]
    row = tt.find(track, state, action)
    if row is None:
        raise conflict_state(action, track, state)
    if check_roles and actor is not None and actor.role not in row.roles:
        raise Problem(403, "forbidden", "Forbidden", f"role {actor.role} may not {action} here")
    on = check_effective_on(data, proceeding, today)
    act = Act(conn, case, proceeding, actor, on, today)
    await HANDLERS[action](act, data)
    target_state = act.new_state or row.to_state
    if target_state and target_state != state and act.new_proceeding_id is None:
        await conn.execute("UPDATE proceeding SET state = $2 WHERE id = $1", proceeding["id"], target_state)
    if on < today:
        for _, event_data, _ in act.journal.events:
            event_data.setdefault("effective_on", str(on))
        act.journal.events[0][1]["backdate_reason"] = data.backdate_reason
    await core.sync_case(conn, case["id"], act.new_proceeding_id or proceeding["id"])
    await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor,
                          events=act.journal.events)
    return act
