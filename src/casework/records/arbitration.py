"""Labour arbitration records (劳动人事争议仲裁): the commission's steps on a
labour dispute, tracked like a lawsuit (the commission's record is its own).

A labour dispute is mediated first (the ``labour_mediation`` track: 15 days,
劳动争议调解仲裁法 art. 14), then goes to arbitration, usually by ``escalate``
into an ``arbitration`` proceeding awaiting the application, with the
party's one-year window to apply (art. 27). Recording the application
(``applied_on``: the commission received it) is the case-wide event
``arbitration_applied``: it answers that window wherever on the case it
was opened, starts the commission's 5 days to decide on acceptance (art.
29) and moves an arbitration proceeding awaiting the filing to
``pending_acceptance``. Acceptance starts the 45 days to the award (art.
43, +15 with the chair's approval); not accepting, an award, a mediation
document or a withdrawal stop the commission's clocks and conclude the
proceeding; the award reaching a party starts its 15 days to sue (arts.
48, 50), which a linked lawsuit answers.

One record per case and commission number: not shared between cases (a
collective labour dispute is one case with many applicants).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from casework import timeutil
from casework.access.service import Principal
from casework.deadlines.engine import Journal, Subject, apply_event
from casework.problems import invalid, not_found
from casework.records import read
from casework.records import schemas as s
from casework.records import service as records
from casework.records.service import case_write, check_not_future, conflict

RECORD = "arbitration"
TRACK = "arbitration"
# The proceeding's outcome for each result (proceedings/data/tracks.json).
RESULT_OUTCOME = {"award": "award", "mediation": "mediation", "withdrawal": "withdrawal"}


def number_key(raw: str) -> str:
    """A commission number's key: the commission's own format has no national
    standard (e.g. 潞劳人仲案字〔2026〕第15号), so only width and spaces go."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", raw) if not ch.isspace())


def _subject(case: dict[str, Any], arbitration_id: int) -> Subject:
    return Subject(case["id"], case["current_proceeding_id"], TRACK, RECORD, arbitration_id)


async def record_application(reference: str, data: s.ArbitrationCreate, *, actor: Principal,
                             if_match: str | None) -> tuple[s.ArbitrationRead, str]:
    check_not_future("applied_on", data.applied_on, timeutil.today())
    number = data.case_number.strip() if data.case_number else None
    async with case_write(reference, actor, if_match) as (conn, case):
        if number is not None:
            await _unique_number(conn, case, number)
        arbitration_id = await conn.fetchval(
            """INSERT INTO arbitration (case_id, proceeding_id, commission, case_number, case_number_key, applied_on,
                                        cause, recorded_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
            case["id"], case["current_proceeding_id"], data.commission.strip(), number,
            number_key(number) if number else None, data.applied_on, data.cause.strip(), actor.id)
        await records.log(conn, case, "arbitration_applied", {
            "arbitration_id": arbitration_id, "case_number": number_key(number) if number else None,
            "applied_on": str(data.applied_on)}, actor)
        journal = Journal()
        # Case-wide: the party's window to apply is answered wherever it was opened.
        await apply_event(conn, _subject(case, arbitration_id), "arbitration_applied", data.applied_on, journal)
        await records.follow_external(conn, case, TRACK, "pending_acceptance", data.applied_on, journal,
                                      from_states=("awaiting_filing",))
        await records.log_events(conn, case, journal, actor)
        return await records.answered(conn, case, read.arbitrations, arbitration_id)


async def _unique_number(conn: Any, case: dict[str, Any], number: str) -> None:
    if await conn.fetchval("SELECT true FROM arbitration WHERE case_id = $1 AND case_number_key = $2",
                           case["id"], number_key(number)):
        raise conflict("already-recorded", f"arbitration {number} is already recorded on this case")


async def _locked(conn: Any, case: dict[str, Any], arbitration_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM arbitration WHERE id = $1 AND case_id = $2 FOR UPDATE",
                              arbitration_id, case["id"])
    if row is None:
        raise not_found("arbitration")
    return dict(row)


def _check_progress(row: dict[str, Any], data: s.ArbitrationProgress, today: dt.date) -> None:
    for field in ("accepted_on", "not_accepted_on", "result_on", "served_on"):
        value = getattr(data, field)
        if value is not None:
            check_not_future(field, value, today)
            if value < row["applied_on"]:
                raise invalid([{"field": field, "message": "must not be before the application"}])
    if data.accepted_on is not None and data.not_accepted_on is not None:
        raise invalid([{"field": "not_accepted_on", "message": "an application is accepted or not, not both"}])
    if (data.accepted_on or data.not_accepted_on) and (row["accepted_on"] or row["not_accepted_on"]):
        raise conflict("already-decided", "the commission's decision on acceptance is already recorded")
    if (data.result is None) != (data.result_on is None):
        raise invalid([{"field": "result_on" if data.result else "result", "message": "result and result_on go "
                                                                                     "together"}])
    if data.result is not None and row["result"] is not None:
        raise conflict("already-concluded", f"the arbitration already ended: {row['result']}")
    if (data.result or data.not_accepted_on) and row["not_accepted_on"]:
        raise conflict("not-accepted", "the commission did not accept the application")
    if data.result is not None and data.not_accepted_on is not None:
        raise invalid([{"field": "result", "message": "an application not accepted has no result"}])
    result = data.result or row["result"]
    if data.final_award is not None and result != "award":
        raise invalid([{"field": "final_award", "message": "only an award is final (art. 47)"}])
    if data.served_on is not None:
        if result not in ("award", "mediation"):
            raise invalid([{"field": "served_on", "message": "an award or a mediation document is served"}])
        if row["served_on"] is not None:
            raise conflict("already-served", "the service of the award is already recorded")
        if data.served_on < (data.result_on or row["result_on"]):
            raise invalid([{"field": "served_on", "message": "must not be before the award"}])
    if data.case_number is not None and row["case_number"] is not None:
        raise conflict("number-recorded", "the commission's number is already recorded")


async def record_progress(reference: str, arbitration_id: int, data: s.ArbitrationProgress, *, actor: Principal,
                          if_match: str | None) -> tuple[s.ArbitrationRead, str]:
    today = timeutil.today()
    async with case_write(reference, actor, if_match) as (conn, case):
        row = await _locked(conn, case, arbitration_id)
        _check_progress(row, data, today)
        number = data.case_number.strip() if data.case_number else None
        if number is not None:
            await _unique_number(conn, case, number)
        wanted = {"accepted_on": data.accepted_on, "not_accepted_on": data.not_accepted_on, "result": data.result,
                  "result_on": data.result_on, "final_award": data.final_award, "served_on": data.served_on,
                  "case_number": number}
        changes = {k: v for k, v in wanted.items() if v is not None}
        if not changes:
            raise invalid([{"field": "body", "message": "changes nothing"}])
        await conn.execute(
            """UPDATE arbitration SET accepted_on = coalesce($2, accepted_on),
                   not_accepted_on = coalesce($3, not_accepted_on), result = coalesce($4, result),
                   result_on = coalesce($5, result_on), final_award = coalesce($6, final_award),
                   served_on = coalesce($7, served_on), case_number = coalesce($8, case_number),
                   case_number_key = coalesce($9, case_number_key), updated_at = casework_now()
               WHERE id = $1""",
            arbitration_id, data.accepted_on, data.not_accepted_on, data.result, data.result_on, data.final_award,
            data.served_on, number, number_key(number) if number else None)
        await records.log(conn, case, "arbitration_updated", {
            "arbitration_id": arbitration_id,
            "changes": {k: (number_key(v) if k == "case_number" else v if isinstance(v, (bool, str)) else str(v))
                        for k, v in changes.items()}}, actor)
        await _steps(conn, case, arbitration_id, data, actor)
        return await records.answered(conn, case, read.arbitrations, arbitration_id)


async def _steps(conn: Any, case: dict[str, Any], arbitration_id: int, data: s.ArbitrationProgress,
                 actor: Principal) -> None:
    """The commission's steps, in the order they happen: each stops the
    clocks it answers, starts the ones it begins, and moves an arbitration
    proceeding along."""
    journal = Journal()
    subject = _subject(case, arbitration_id)
    if data.accepted_on is not None:
        await apply_event(conn, subject, "arbitration_accepted", data.accepted_on, journal)
        await records.follow_external(conn, case, TRACK, "accepted", data.accepted_on, journal,
                                      from_states=("awaiting_filing", "pending_acceptance"))
    if data.not_accepted_on is not None:
        await apply_event(conn, subject, "arbitration_not_accepted", data.not_accepted_on, journal)
        await records.follow_external(conn, case, TRACK, "not_accepted", data.not_accepted_on, journal,
                                      from_states=("awaiting_filing", "pending_acceptance"),
                                      outcome="not_accepted")
    if data.result is not None and data.result_on is not None:
        await apply_event(conn, subject, "arbitration_concluded", data.result_on, journal)
        await records.follow_external(conn, case, TRACK, "concluded", data.result_on, journal,
                                      from_states=("awaiting_filing", "pending_acceptance", "accepted"),
                                      outcome=RESULT_OUTCOME[data.result])
    if data.served_on is not None and await conn.fetchval(
            "SELECT result = 'award' FROM arbitration WHERE id = $1", arbitration_id):
        # The award reached the party: 15 days to sue (arts. 48, 50). A
        # mediation document binds on signature: nothing to sue against.
        await apply_event(conn, subject, "arbitration_award_served", data.served_on, journal)
    await records.log_events(conn, case, journal, actor)


async def extend_award(reference: str, arbitration_id: int, data: s.ArbitrationExtension, *, actor: Principal,
                       if_match: str | None) -> tuple[s.ArbitrationRead, str]:
    """The commission's chair extends the 45 days to the award by up to 15
    (劳动争议调解仲裁法 art. 43), once and within the period; the parties are
    told in writing."""
    today = timeutil.today()
    async with case_write(reference, actor, if_match) as (conn, case):
        await _locked(conn, case, arbitration_id)
        await records.extend_record_period(
            conn, case, actor, record_kind=RECORD, record_id=arbitration_id, limit_code="labour_arbitration.award",
            data=data, today=today,
            not_running=("no-award-period", "the 45 days to the award are not running (accepted, no award yet)"))
        return await records.answered(conn, case, read.arbitrations, arbitration_id)
