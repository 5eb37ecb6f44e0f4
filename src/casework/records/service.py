"""What every record write shares, and reading the records of a case.

A record write locks the case and checks its ETag (proceedings.service
``lock_case``), changes the record, starts or stops the record's clocks,
writes its case event and bumps the case version, all in one transaction.

Record clocks are ordinary ``clock`` rows on the case's current proceeding
(so the sweep, the case's ``next_due_on`` and the clock views see them) with
``record_kind``/``record_id`` set: proceeding actions do not stop them, the
record's own steps do. They still end with their proceeding when it is
escalated, declined or closed (``_stop_all``): a record's deadline belongs
to the handling it was started under.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from casework import timeutil
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_event, log_case_events
from casework.db import connection, transaction
from casework.deadlines.engine import Journal, Subject, apply_event, extend, stop_for
from casework.problems import Problem, invalid
from casework.proceedings import service as proceedings

# A record's answer (records/schemas.py: SessionRead, AgreementRead, ...).
R = TypeVar("R")


def conflict(kind: str, detail: str) -> Problem:
    return Problem(409, kind, "Conflict", detail)


# The party's window a reconsideration decision's service opens (seeded limit).
LITIGATION_WINDOWS = ("litigation.after_reconsideration",)

# The keys of the case detail's records block (records.read.records_for_case),
# in its order; intake answers them empty.
RECORD_KINDS = ("sessions", "agreements", "judicial_confirmations", "reconsideration_decisions", "lawsuits",
                "arbitrations", "legal_aid", "notices")

# Agreements a court may confirm (People's Mediation Law art. 33; Civil
# Procedure Law (2023) art. 205 for court-referred pre-filing mediation). A
# judicial mediation in litigation ends in the court's own mediation document
# instead, so a judicial mediation's agreement is confirmable only when it
# was pre-filing.
CONFIRMABLE_TRACKS = frozenset({"people_mediation", "administrative_mediation"})


def confirmable(track: str, pre_filing: bool | None) -> bool:
    return track in CONFIRMABLE_TRACKS or (track == "judicial_mediation" and pre_filing is True)


def shared_beyond_scope(kind: str) -> Problem:
    return Problem(403, "shared-record-out-of-scope", "Forbidden",
                   f"this {kind} is also linked to cases outside your scope; its changes are recorded by a user "
                   f"who may see every case it is linked to, or pushed by the court's or centre's system")


async def shared_record(conn: Any, actor: Principal, case_number: str) -> dict[str, Any] | None:
    """The lawsuit record with this case number whose every linked case the
    caller may see (the oldest, if several), locked; None when there is none.

    A record of the same suit linked only to cases outside the caller's
    scope is never returned, named or hinted at: the caller records their
    own (docs/access.md, "Records shared between cases")."""
    args: list[Any] = [case_number]
    visible = Scope.of(actor).sql("c", args)
    row = await conn.fetchrow(
        f"""SELECT l.* FROM lawsuit l
            WHERE l.case_number = $1 AND NOT EXISTS (
                SELECT 1 FROM lawsuit_case x JOIN case_file c ON c.id = x.case_id
                WHERE x.lawsuit_id = l.id AND NOT {visible})
            ORDER BY l.id LIMIT 1 FOR UPDATE OF l""",
        *args,
    )
    return dict(row) if row else None


async def record_within_scope(conn: Any, actor: Principal, lawsuit_id: int) -> bool:
    """Every case the lawsuit is linked to is one the caller may see."""
    args: list[Any] = [lawsuit_id]
    visible = Scope.of(actor).sql("c", args)
    return not await conn.fetchval(
        f"""SELECT true FROM lawsuit_case x JOIN case_file c ON c.id = x.case_id
            WHERE x.lawsuit_id = $1 AND NOT {visible} LIMIT 1""",
        *args,
    )


def check_not_future(field: str, value: dt.date, today: dt.date) -> None:
    if value > today:
        raise invalid([{"field": field, "message": "must not be in the future"}])
    if value.year < 1990:
        raise invalid([{"field": field, "message": "is implausibly old"}])


@asynccontextmanager
async def case_write(reference: str, actor: Principal, if_match: str | None) -> AsyncIterator[tuple[Any, dict]]:
    """One transaction with the case row locked and its ETag checked, after
    what the law already decided on the case is settled (lapsed periods)."""
    settled = await proceedings.settle_first(reference, actor, if_match, timeutil.today())
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, settled)
            yield conn, case


async def current_proceeding(conn: Any, case: dict[str, Any]) -> dict[str, Any]:
    return dict(await conn.fetchrow("SELECT * FROM proceeding WHERE id = $1", case["current_proceeding_id"]))


async def log(conn: Any, case: dict[str, Any], type_: str, data: dict[str, Any], actor: Principal | None) -> None:
    """A record's case event. ``data`` carries codes, dates and ids only:
    the outbox feeds webhooks, so no names, terms or notes go in it."""
    await log_case_event(conn, case_id=case["id"], reference=case["reference"], type=type_, data=data,
                         actor=actor, proceeding_id=case["current_proceeding_id"])


async def touch(conn: Any, case: dict[str, Any]) -> str:
    """Bump the case version (and recompute next_due_on); the new ETag."""
    return await core.sync_case(conn, case["id"], case["current_proceeding_id"])


async def answered(
    conn: Any, case: dict[str, Any], read: Callable[[Any, int, int], Awaitable[list[R]]], record_id: int,
) -> tuple[R, str]:
    """A record write's answer: the case's version moved on (its new ETag)
    and the record as it now reads."""
    etag = await touch(conn, case)
    return (await read(conn, case["id"], record_id))[0], etag


async def extend_record_period(
    conn: Any, case: dict[str, Any], actor: Principal, *, record_kind: str, record_id: int, limit_code: str,
    data: Any, today: dt.date, not_running: tuple[str, str],
) -> None:
    """An extension granted on a record's running period (``data``: days,
    granted_on, approver, reason); 409 ``not_running`` when it is not running."""
    clock = await conn.fetchrow(
        """SELECT proceeding_id FROM clock WHERE record_kind = $1 AND record_id = $2
             AND time_limit_code = $3 AND state <> 'stopped'""", record_kind, record_id, limit_code)
    if clock is None:
        raise conflict(*not_running)
    journal = Journal()
    await extend(conn, clock["proceeding_id"], limit_code, data.days, data.granted_on or today,
                 {"days": data.days, "approver": data.approver, "reason": data.reason,
                  "granted_by": actor.username}, journal)
    await log_events(conn, case, journal, actor)


async def etag_of(conn: Any, case_id: int) -> str:
    return core.etag(case_id, await conn.fetchval("SELECT version FROM case_file WHERE id = $1", case_id))


async def log_events(conn: Any, case: dict[str, Any], journal: Journal, actor: Principal | None) -> None:
    await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor, events=journal.events)


async def record_event(
    conn: Any, case: dict[str, Any], *, track: str, record_kind: str, record_id: int, event: str, on: dt.date,
    actor: Principal | None, stop_only: bool = False,
) -> Journal:
    """An event on a record, on ``on``: the clock engine stops the record's
    clocks it answers and starts the ones it begins (on the case's current
    proceeding), and the case events are written."""
    journal = Journal()
    subject = Subject(case["id"], case["current_proceeding_id"], track, record_kind, record_id)
    if stop_only:
        await stop_for(conn, subject, event, on, journal)
    else:
        await apply_event(conn, subject, event, on, journal)
    await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor,
                          events=journal.events)
    return journal


# ---------------------------------------------------------------- external bodies

async def follow_external(conn: Any, case: dict[str, Any], track: str, state: str, on: dt.date, journal: Journal, *,
                          from_states: tuple[str, ...], outcome: str | None = None) -> None:
    """A proceeding on an external track (a court's, an arbitration
    commission's) follows the steps its record shows: the body's own record
    is outside this system, so there is no action to take here."""
    proceeding = await conn.fetchrow("SELECT * FROM proceeding WHERE id = $1", case["current_proceeding_id"])
    if proceeding["track"] != track or proceeding["state"] not in from_states:
        return
    stamp = dt.datetime.combine(on, dt.time(12), timeutil.CHINA_TZ)
    await conn.execute(
        """UPDATE proceeding SET state = $2, outcome = coalesce($3, outcome),
               accepted_at = CASE WHEN $2 = 'accepted' THEN $4 ELSE accepted_at END,
               concluded_at = CASE WHEN $2 IN ('concluded', 'not_accepted') THEN $4 ELSE concluded_at END
           WHERE id = $1""", proceeding["id"], state, outcome, stamp)
    journal.add("court_step_recorded", {"track": track, "state": state, "on": str(on), "outcome": outcome},
                proceeding["id"])
