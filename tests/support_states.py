"""STAND-IN FOR THE PROCEEDINGS ACTION API: moves proceedings with raw SQL.

The accept / forward / conclude actions are being built on another branch
(docs/proceedings.md is the contract). Until they are merged, tests that
need a proceeding in a later state call these helpers, which write what
those actions will write: the proceeding's state and dates, the case's
derived status and stage, stopped clocks, and the events. Replace each
helper's body with the API call once it exists; keep the signatures.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg


async def _current(db: asyncpg.Connection, case_id: int) -> asyncpg.Record:
    return await db.fetchrow(
        """SELECT p.*, c.reference FROM proceeding p JOIN case_file c ON c.current_proceeding_id = p.id
           WHERE c.id = $1""",
        case_id,
    )


async def _event(db: asyncpg.Connection, case_id: int, proceeding_id: int, type_: str, at: dt.datetime,
                 data: dict[str, Any]) -> None:
    await db.execute(
        "INSERT INTO case_event (case_id, proceeding_id, at, type, data) VALUES ($1, $2, $3, $4, $5::jsonb)",
        case_id, proceeding_id, at, type_, json.dumps(data),
    )


async def forward_petition(db: asyncpg.Connection, case_id: int, at: dt.datetime) -> None:
    """registered -> forwarded, with the `assigned` event the public sees as "forwarded"."""
    p = await _current(db, case_id)
    await db.execute("UPDATE proceeding SET state = 'forwarded' WHERE id = $1", p["id"])
    await db.execute("UPDATE case_file SET stage = 'forwarded', version = version + 1 WHERE id = $1", case_id)
    await _event(db, case_id, p["id"], "assigned", at, {"body_id": p["body_id"]})


async def accept(db: asyncpg.Connection, case_id: int, at: dt.datetime) -> None:
    p = await _current(db, case_id)
    await db.execute("UPDATE proceeding SET state = 'accepted', accepted_at = $2 WHERE id = $1", p["id"], at)
    await db.execute(
        """UPDATE clock SET state = 'stopped', stopped_on = $2::date, met = ($2::date <= due_on)
           WHERE proceeding_id = $1 AND state <> 'stopped'""",
        p["id"], at.date(),
    )
    await db.execute("UPDATE case_file SET stage = 'accepted', version = version + 1 WHERE id = $1", case_id)
    await _event(db, case_id, p["id"], "accepted", at, {})


async def conclude(db: asyncpg.Connection, case_id: int, at: dt.datetime, outcome: str = "agreement",
                   details: dict[str, Any] | None = None) -> None:
    """accepted -> concluded with ``outcome`` (accepting first if needed)."""
    p = await _current(db, case_id)
    if p["accepted_at"] is None:
        await accept(db, case_id, at - dt.timedelta(days=1))
    await db.execute(
        """UPDATE proceeding SET state = 'concluded', outcome = $2, concluded_at = $3,
                  details = details || $4::jsonb WHERE id = $1""",
        p["id"], outcome, at, json.dumps(details or {}),
    )
    await db.execute(
        """UPDATE clock SET state = 'stopped', stopped_on = $2::date, met = ($2::date <= due_on)
           WHERE proceeding_id = $1 AND state <> 'stopped'""",
        p["id"], at.date(),
    )
    await db.execute(
        """UPDATE case_file SET status = 'concluded', stage = 'concluded', next_due_on = NULL,
                  version = version + 1 WHERE id = $1""",
        case_id,
    )
    await _event(db, case_id, p["id"], "concluded", at, {"outcome": outcome})


async def escalate_to_concluded_reconsideration(db: asyncpg.Connection, case_id: int, at: dt.datetime,
                                                outcome: str = "settled") -> int:
    """The current proceeding -> escalated; a second one on reconsideration, already concluded."""
    first = await _current(db, case_id)
    second_id = await db.fetchval(
        """INSERT INTO proceeding (case_id, seq, track, body_id, state, previous_id, opened_reason,
                                   accepted_at, concluded_at, outcome)
           VALUES ($1, $2, 'reconsideration', $3, 'concluded', $4, 'escalation', $5, $6, $7) RETURNING id""",
        case_id, first["seq"] + 1, first["body_id"], first["id"], at - dt.timedelta(days=1), at, outcome,
    )
    await db.execute("UPDATE proceeding SET state = 'escalated' WHERE id = $1", first["id"])
    await db.execute(
        "UPDATE case_file SET current_proceeding_id = $2, track = 'reconsideration', version = version + 1 WHERE id = $1",
        case_id, second_id,
    )
    await _event(db, case_id, first["id"], "escalated", at - dt.timedelta(days=1), {"to": "reconsideration"})
    await _event(db, case_id, second_id, "concluded", at, {"outcome": outcome})
    return second_id
