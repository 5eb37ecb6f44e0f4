"""Mediation records: sessions, the signed agreement and its judicial confirmation.

Sessions are recorded by the proceeding action ``record_session`` (one code
path); ``POST .../sessions`` performs that action. Recording an agreement
while the mediation is still open concludes it with outcome ``agreement``
through the transition table; an agreement may also be attached after the
mediation was concluded that way. The agreement starts the seeded
``judicial_confirmation.apply`` window from the day it takes effect
(People's Mediation Law art. 33); the court's acceptance starts
``judicial_confirmation.ruling``; the ruling stops it.

Judicial mediation: an agreement reached in a court-referred pre-filing
mediation (委派调解 / 诉前调解) may be confirmed like a people's mediation
agreement, at the referring court (Civil Procedure Law (2023) art. 205); a
mediation in litigation ends in the court's own mediation document and is
not. The agreement says which: ``pre_filing``, or the court's number for
the mediation (a 诉前调 number is pre-filing, a suit's number is not).
Not said: not confirmable, as judicial mediation agreements were before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework import timeutil
from casework.access.service import Principal
from casework.problems import Problem, invalid, not_found
from casework.proceedings import service as proceedings
from casework.proceedings.schemas import Conclude, RecordSession
from casework.proceedings.tracks import registry
from casework.records import read
from casework.records import schemas as s
from casework.records import service as records
from casework.records.litigation import parse_number
from casework.records.service import case_write, check_not_future, confirmable, conflict

PERFORMANCE_STEPS = {"performing": {"performed", "breached"}, "breached": {"performed"}, "performed": set()}


async def record_session(reference: str, data: s.SessionCreate, *,
                         actor: Principal, if_match: str | None) -> tuple[s.SessionRead, str]:
    today = timeutil.today()
    async with case_write(reference, actor, if_match) as (conn, case):
        action = RecordSession(held_on=data.held_on, location=data.location, participants=data.participants,
                               notes=data.notes)
        await proceedings.apply_action(conn, case, "record_session", action, actor=actor, today=today)
        session_id = await conn.fetchval(
            "SELECT max(id) FROM mediation_session WHERE proceeding_id = $1", case["current_proceeding_id"])
        session = (await read.sessions(conn, case["id"], session_id))[0]
        return session, await records.etag_of(conn, case["id"])


async def record_agreement(reference: str, data: s.AgreementCreate, *,
                           actor: Principal, if_match: str | None) -> tuple[s.AgreementRead, str]:
    today = timeutil.today()
    check_not_future("signed_on", data.signed_on, today)
    effective_on = data.effective_on or data.signed_on
    if effective_on < data.signed_on:
        raise invalid([{"field": "effective_on", "message": "must not be before signed_on"}])
    if not data.terms.strip():
        raise invalid([{"field": "terms", "message": "must not be empty"}])
    async with case_write(reference, actor, if_match) as (conn, case):
        proceeding = await records.current_proceeding(conn, case)
        track = proceeding["track"]
        if track not in registry().mediation_tracks:
            raise conflict("not-a-mediation", f"the current proceeding is on track {track}, not a mediation")
        pre_filing, number = _judicial_mediation_kind(track, data)
        if proceeding["state"] == "accepted":
            # Concluded on the day the agreement was signed.
            await proceedings.apply_action(
                conn, case, "conclude",
                Conclude(outcome="agreement", effective_on=data.signed_on,
                         backdate_reason=None if data.signed_on == today else "the day the agreement was signed"),
                actor=actor, today=today)
        elif not (proceeding["state"] == "concluded" and proceeding["outcome"] == "agreement"):
            raise conflict("no-open-mediation", f"an agreement is recorded on an accepted mediation, or one concluded "
                                                f"with an agreement (state {proceeding['state']})")
        agreement_id = await conn.fetchval(
            """INSERT INTO mediation_agreement (case_id, proceeding_id, terms, signed_on, effective_on, recorded_by,
                                               pre_filing, mediation_number, mediation_number_key)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
            case["id"], proceeding["id"], data.terms.strip(), data.signed_on, effective_on, actor.id,
            pre_filing, number.given if number else None, number.key if number else None,
        )
        await records.log(conn, case, "agreement_recorded", {
            "agreement_id": agreement_id, "signed_on": str(data.signed_on), "effective_on": str(effective_on),
            "track": track, "pre_filing": pre_filing, "mediation_number": number.key if number else None,
            "confirmable": confirmable(track, pre_filing)}, actor)
        if confirmable(track, pre_filing):
            await records.record_event(conn, case, track="judicial_confirmation", record_kind="agreement",
                                       record_id=agreement_id, event="agreement_effective", on=effective_on,
                                       actor=actor)
        return await records.answered(conn, case, read.agreements, agreement_id)


def _judicial_mediation_kind(track: str, data: s.AgreementCreate):
    """(pre_filing, the court's mediation number) of a judicial mediation's
    agreement; (None, None) on other tracks, where neither applies."""
    if track != "judicial_mediation":
        if data.pre_filing is not None or data.mediation_number is not None:
            raise invalid([{"field": "pre_filing" if data.pre_filing is not None else "mediation_number",
                            "message": "only for a judicial mediation's agreement"}])
        return None, None
    number = parse_number(data.mediation_number, field="mediation_number") if data.mediation_number is not None else None
    pre_filing = data.pre_filing
    if number is not None:
        if pre_filing is not None and pre_filing != number.pre_filing_mediation:
            raise invalid([{"field": "pre_filing", "message": f"{number.display} is "
                            + ("a pre-filing mediation (诉前调)" if number.pre_filing_mediation
                               else "a suit's number: a mediation in litigation")}])
        pre_filing = number.pre_filing_mediation
    return pre_filing, number


async def update_performance(
    reference: str, agreement_id: int, data: s.PerformanceUpdate, *, actor: Principal, if_match: str | None,
) -> tuple[s.AgreementRead, str]:
    async with case_write(reference, actor, if_match) as (conn, case):
        row = await conn.fetchrow(
            "SELECT * FROM mediation_agreement WHERE id = $1 AND case_id = $2 FOR UPDATE", agreement_id, case["id"])
        if row is None:
            raise not_found("agreement")
        if data.performance not in PERFORMANCE_STEPS[row["performance"]]:
            raise conflict("invalid-transition", f"an agreement that is {row['performance']} cannot become "
                                                 f"{data.performance}")
        await conn.execute("UPDATE mediation_agreement SET performance = $2 WHERE id = $1", agreement_id,
                           data.performance)
        await records.log(conn, case, "agreement_performance_updated", {
            "agreement_id": agreement_id, "before": row["performance"], "after": data.performance}, actor)
        return await records.answered(conn, case, read.agreements, agreement_id)


async def apply_for_confirmation(
    reference: str, data: s.ConfirmationCreate, *, actor: Principal, if_match: str | None,
) -> tuple[s.ConfirmationRead, str]:
    today = timeutil.today()
    check_not_future("applied_on", data.applied_on, today)
    async with case_write(reference, actor, if_match) as (conn, case):
        agreement = await conn.fetchrow(
            """SELECT a.*, p.track FROM mediation_agreement a JOIN proceeding p ON p.id = a.proceeding_id
               WHERE a.id = $1 AND a.case_id = $2""", data.agreement_id, case["id"])
        if agreement is None:
            raise invalid([{"field": "agreement_id", "message": "no such agreement on this case"}])
        if not confirmable(agreement["track"], agreement["pre_filing"]):
            raise conflict("not-confirmable", "people's and administrative mediation agreements, and those of a "
                                              "court-referred pre-filing mediation, are confirmed; a mediation in "
                                              "litigation ends in the court's own mediation document")
        if data.applied_on < agreement["effective_on"]:
            raise invalid([{"field": "applied_on", "message": "must not be before the agreement takes effect"}])
        if await conn.fetchval("SELECT true FROM judicial_confirmation WHERE agreement_id = $1", data.agreement_id):
            raise conflict("already-applied", "judicial confirmation was already applied for on this agreement")
        window = await conn.fetchrow(
            """SELECT due_on FROM clock WHERE record_kind = 'agreement' AND record_id = $1
               AND time_limit_code = 'judicial_confirmation.apply' ORDER BY id DESC LIMIT 1""", data.agreement_id)
        late = window is not None and data.applied_on > window["due_on"]
        if late and not data.late_justification:
            raise Problem(422, "window-closed", "Application out of time",
                          f"the 30-day window to apply closed on {window['due_on']} (People's Mediation Law art. 33)",
                          errors=[{"field": "late_justification", "message": "required after the window closed"}])
        confirmation_id = await conn.fetchval(
            """INSERT INTO judicial_confirmation (case_id, agreement_id, court, applied_on, late, recorded_by)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
            case["id"], data.agreement_id, data.court.strip(), data.applied_on, late, actor.id,
        )
        await records.log(conn, case, "confirmation_applied", {
            "confirmation_id": confirmation_id, "agreement_id": data.agreement_id, "court": data.court.strip(),
            "applied_on": str(data.applied_on), "late": late}, actor)
        # The parties' window is answered; the court's 3 days to decide on acceptance start.
        await records.record_event(conn, case, track="judicial_confirmation", record_kind="agreement",
                                   record_id=data.agreement_id, event="confirmation_applied", on=data.applied_on,
                                   actor=actor, stop_only=True)
        await records.record_event(conn, case, track="judicial_confirmation", record_kind="judicial_confirmation",
                                   record_id=confirmation_id, event="confirmation_applied", on=data.applied_on,
                                   actor=actor)
        return await records.answered(conn, case, read.confirmations, confirmation_id)


async def _confirmation(conn: Any, case: dict[str, Any], confirmation_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM judicial_confirmation WHERE id = $1 AND case_id = $2 FOR UPDATE",
                              confirmation_id, case["id"])
    if row is None:
        raise not_found("judicial confirmation")
    return dict(row)


async def confirmation_accepted(
    reference: str, confirmation_id: int, data: s.ConfirmationAccepted, *, actor: Principal, if_match: str | None,
) -> tuple[s.ConfirmationRead, str]:
    check_not_future("accepted_on", data.accepted_on, timeutil.today())
    async with case_write(reference, actor, if_match) as (conn, case):
        row = await _confirmation(conn, case, confirmation_id)
        if row["accepted_on"] is not None or row["result"] is not None:
            raise conflict("already-accepted", "the court's acceptance is already recorded")
        if data.accepted_on < row["applied_on"]:
            raise invalid([{"field": "accepted_on", "message": "must not be before applied_on"}])
        await conn.execute("UPDATE judicial_confirmation SET accepted_on = $2 WHERE id = $1", confirmation_id,
                           data.accepted_on)
        return await _court_step(conn, case, actor, confirmation_id, "confirmation_accepted", data.accepted_on,
                                 {"accepted_on": str(data.accepted_on)})


async def _court_step(conn: Any, case: dict[str, Any], actor: Principal, confirmation_id: int, event: str,
                      on: dt.date, logged: dict[str, Any]) -> tuple[s.ConfirmationRead, str]:
    """The court's step on a confirmation: its case event, the clock events, the answer."""
    await records.log(conn, case, event, {"confirmation_id": confirmation_id, **logged}, actor)
    await records.record_event(conn, case, track="judicial_confirmation", record_kind="judicial_confirmation",
                               record_id=confirmation_id, event=event, on=on, actor=actor)
    return await records.answered(conn, case, read.confirmations, confirmation_id)


async def confirmation_ruled(
    reference: str, confirmation_id: int, data: s.ConfirmationRuling, *, actor: Principal, if_match: str | None,
) -> tuple[s.ConfirmationRead, str]:
    check_not_future("ruled_on", data.ruled_on, timeutil.today())
    async with case_write(reference, actor, if_match) as (conn, case):
        row = await _confirmation(conn, case, confirmation_id)
        if row["result"] is not None:
            raise conflict("already-ruled", "the court's ruling is already recorded")
        if data.ruled_on < (row["accepted_on"] or row["applied_on"]):
            raise invalid([{"field": "ruled_on", "message": "must not be before the application was accepted"}])
        await conn.execute(
            "UPDATE judicial_confirmation SET ruling_number = $2, ruled_on = $3, result = $4 WHERE id = $1",
            confirmation_id, data.ruling_number.strip(), data.ruled_on, data.result)
        return await _court_step(conn, case, actor, confirmation_id, "confirmation_ruled", data.ruled_on, {
            "ruling_number": data.ruling_number.strip(), "ruled_on": str(data.ruled_on), "result": data.result})


async def extend_ruling(
    reference: str, confirmation_id: int, data: s.RulingExtension, *, actor: Principal, if_match: str | None,
) -> tuple[s.ConfirmationRead, str]:
    """The court president extends the 15-day ruling period by up to 10 days
    (法释〔2011〕5号 art. 5), once and within the period."""
    today = timeutil.today()
    async with case_write(reference, actor, if_match) as (conn, case):
        row = await _confirmation(conn, case, confirmation_id)
        await records.extend_record_period(
            conn, case, actor, record_kind="judicial_confirmation", record_id=row["id"],
            limit_code="judicial_confirmation.ruling", data=data, today=today,
            not_running=("no-ruling-period", "the court's ruling period is not running (accepted and not ruled)"))
        return await records.answered(conn, case, read.confirmations, confirmation_id)
