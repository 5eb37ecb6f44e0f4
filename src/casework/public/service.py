"""The party's own view: progress by reference and receipt code, and feedback.

A wrong receipt code and an unknown reference take the same path (one
query, the same throttle bookkeeping) and get the same 404, so neither the
answer nor its timing says whether a reference exists. Every failure counts
against the reference and the client address (docs/public-lookup.md has the
arithmetic); a correct code is refused too while the reference is locked,
or the 429/200 difference would itself be an oracle.

What is shown is whitelisted field by field: stages with dates, handling
bodies, time limits and whether they were met, outcomes. No party, no
summary or description (they name people), no assignee, no internal notes
or ``details`` beyond the coded petition opinion and, while a supplement is
asked for, what is missing (written for the party: it is the notice's text).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec

from casework import reads, timeutil
from casework.access import throttle
from casework.cases.events import log_case_event
from casework.db import connection, transaction
from casework.deadlines.service import clock_view
from casework.personal import crypto
from casework.problems import Problem, conflict, invalid
from casework.public.schemas import FeedbackReceipt, PublicCaseView
from casework.reference import service as reference
from casework.settings import get_settings

_THROTTLED = "too many failed lookups for this reference or from this address; wait and retry"
PUBLIC_CLOCK_FIELDS = ("time_limit", "step", "step_zh", "whose", "length", "unit", "source", "started_on", "due_on",
                       "status", "outcome", "breached", "stopped_on", "extended_by", "paused_days", "provisional",
                       "calendar_incomplete")
# A proceeding the party may rate: it reached an outcome (escalated or closed
# afterwards included), but not a refusal to accept.
RATEABLE = "p.concluded_at IS NOT NULL AND p.outcome IS NOT NULL AND p.state <> 'not_accepted'"


def no_match() -> Problem:
    return Problem(404, "not-found", "Not found", "no case matches this reference and receipt code")


def limits() -> tuple[throttle.Limit, throttle.Limit]:
    settings = get_settings()
    return (
        throttle.Limit("lookup_reference", settings.lookup_failures_per_reference,
                       dt.timedelta(hours=settings.lookup_reference_window_hours)),
        throttle.Limit("lookup_address", settings.lookup_failures_per_address,
                       dt.timedelta(minutes=settings.lookup_address_window_minutes)),
    )


def receipt_hashes(reference: str, code: str) -> list[str]:
    # Same input as cases.intake.receipt_hash; under every configured key.
    return crypto.keyed_hashes(f"{reference}:{code.strip().upper()}", purpose="receipt")


async def _verified_case_id(reference: str, code: str, address: str) -> int:
    """The case's id if the code matches; 404 otherwise; 429 when throttled."""
    per_reference, per_address = limits()
    reference = reference.strip()
    hashes = receipt_hashes(reference, code)
    async with connection() as conn:
        counted = await throttle.attempt(conn, [(per_reference, reference), (per_address, address)], _THROTTLED)
        # The primary's position now: the view (read routing) may come from a
        # standby only once it has replayed this far, so it is never older
        # than what the party did before asking.
        row = await conn.fetchrow(
            """SELECT id, receipt_code_hash, pg_current_wal_lsn() AS position FROM case_file
               WHERE reference = $1 AND receipt_code_hash = ANY($2::text[])""",
            reference, hashes,
        )
        if row is None:
            raise no_match()
        reads.require_position(row["position"])
        await throttle.forget(conn, counted)
        if row["receipt_code_hash"] != hashes[0]:  # hashed under a key since rotated out
            await conn.execute("UPDATE case_file SET receipt_code_hash = $2 WHERE id = $1", row["id"], hashes[0])
    return row["id"]


async def lookup(reference: str, code: str, address: str) -> PublicCaseView:
    case_id = await _verified_case_id(reference, code, address)
    return msgspec.convert(await reads.read(lambda conn: _public_view(conn, case_id)), PublicCaseView)


def _stages(p: dict[str, Any], forwarded_at: dt.datetime | None,
            registered_at: dt.datetime | None = None,
            supplement_asked_at: dt.datetime | None = None) -> list[dict[str, Any]]:
    stages: list[dict[str, Any]] = []
    if p["state"] == "submitted_online":
        stages.append({"stage": "submitted_online", "since": p["opened_at"], "current": True})
    if registered_at is not None:  # an online application, registered by the body
        stages.append({"stage": "registered", "at": registered_at})
    if forwarded_at is not None:
        stages.append({"stage": "forwarded", "at": forwarded_at})
    if p["state"] == "not_accepted":
        stages.append({"stage": "not_accepted", "at": p["concluded_at"] or p["opened_at"]})
        return stages
    if p["state"] == "supplementing":
        # 补正: what the body asked for is written for the party (it is the notice's text).
        supplement = _details(p).get("supplement") or {}
        stages.append({"stage": "supplement_requested", "since": supplement_asked_at,
                       "missing": supplement.get("missing"), "current": True})
    if p["accepted_at"] is not None:
        stages.append({"stage": "accepted", "at": p["accepted_at"]})
    if p["state"] == "accepted":
        stages.append({"stage": "handling", "since": p["accepted_at"], "current": True})
    if p["concluded_at"] is not None:
        stages.append({"stage": "concluded", "at": p["concluded_at"], "outcome": p["outcome"]})
    return stages


def _details(p: dict[str, Any]) -> dict[str, Any]:
    details = p["details"]
    if isinstance(details, str):
        details = json.loads(details)
    return details if isinstance(details, dict) else {}


def _outcome(p: dict[str, Any]) -> dict[str, Any] | None:
    if p["outcome"] is None:
        return None
    details = _details(p)
    opinion = details.get("opinion") if isinstance(details, dict) else None
    return {"code": p["outcome"], "opinion": opinion if isinstance(opinion, str) else None}


async def _not_accepted(case: Any) -> dict[str, Any] | None:
    code = case["not_accepted_reason"]
    if code is None:
        return None
    reasons = await reference.public_reasons()
    wording = reasons.get(code) or reasons.get("other") or {}
    return {"code": code if code in reasons else "other", "label_zh": wording.get("label_zh"),
            "label_en": wording.get("label_en"), "text_zh": wording.get("text_zh"),
            "text_en": wording.get("text_en"), "note": case["not_accepted_note"]}


async def _public_view(conn: Any, case_id: int) -> dict[str, Any]:
    case = await conn.fetchrow(
        """SELECT c.reference, c.kind, c.category_code, k.label_zh, k.label_en, c.received_at, c.status,
                  c.current_proceeding_id, c.not_accepted_reason, c.not_accepted_note, c.terminated
           FROM case_file c JOIN category k ON k.code = c.category_code WHERE c.id = $1""",
        case_id,
    )
    proceedings = [dict(r) for r in await conn.fetch(
        """SELECT p.id, p.seq, p.track, p.state, p.outcome, p.opened_at, p.accepted_at, p.concluded_at,
                  p.details, b.name_zh AS body_name_zh, b.name_en AS body_name_en
           FROM proceeding p LEFT JOIN body b ON b.id = p.body_id
           WHERE p.case_id = $1 ORDER BY p.seq""",
        case_id,
    )]
    steps = await conn.fetch(
        """SELECT proceeding_id, type, min(at) AS at, max(at) AS last_at FROM case_event
           WHERE case_id = $1 AND type IN ('assigned', 'online_registered', 'supplement_requested')
           GROUP BY proceeding_id, type""",
        case_id,
    )
    forwarded = {r["proceeding_id"]: r["at"] for r in steps if r["type"] == "assigned"}
    registered = {r["proceeding_id"]: r["at"] for r in steps if r["type"] == "online_registered"}
    asked = {r["proceeding_id"]: r["last_at"] for r in steps if r["type"] == "supplement_requested"}
    rated = {r["proceeding_id"]: r for r in await conn.fetch(
        "SELECT proceeding_id, rating, created_at FROM feedback WHERE case_id = $1", case_id
    )}
    today = timeutil.today()
    clocks: dict[int, list[dict[str, Any]]] = {}
    for row in await conn.fetch("SELECT * FROM clock WHERE case_id = $1 ORDER BY id", case_id):
        view = await clock_view(dict(row), today)
        clocks.setdefault(row["proceeding_id"], []).append({k: view[k] for k in PUBLIC_CLOCK_FIELDS})
    public_proceedings = []
    for p in proceedings:
        body = {"name_zh": p["body_name_zh"], "name_en": p["body_name_en"]} if p["body_name_zh"] else None
        rateable = p["concluded_at"] is not None and p["outcome"] is not None and p["state"] != "not_accepted"
        feedback = rated.get(p["id"])
        public_proceedings.append({
            "seq": p["seq"], "track": p["track"], "state": p["state"], "handling_body": body,
            "opened_at": p["opened_at"], "stages": _stages(p, forwarded.get(p["id"]), registered.get(p["id"]),
                                                         asked.get(p["id"])),
            "outcome": _outcome(p), "time_limits": clocks.get(p["id"], []),
            "feedback": {"rating": feedback["rating"], "at": feedback["created_at"]} if feedback else None,
            "can_rate": rateable and feedback is None,
        })
    current = public_proceedings[-1] if public_proceedings else None
    for raw, view in zip(proceedings, public_proceedings):
        if raw["id"] == case["current_proceeding_id"]:
            current = view
    return {
        "reference": case["reference"],
        "kind": case["kind"],
        "category": {"code": case["category_code"], "label_zh": case["label_zh"], "label_en": case["label_en"]},
        "status": case["status"],
        # The standard wording of the reason and the note written for the party;
        # the officer's own reason is never shown here.
        "not_accepted_reason": case["not_accepted_reason"],
        "not_accepted": await _not_accepted(case),
        "terminated": case["terminated"],
        "stages": [{"stage": "received", "at": case["received_at"]}, *(current["stages"] if current else [])],
        "handling_body": current["handling_body"] if current else None,
        "time_limits": current["time_limits"] if current else [],
        "outcome": current["outcome"] if current else None,
        "proceedings": public_proceedings,
    }


async def submit_feedback(
    reference: str, code: str, address: str, *, rating: str, comment: str | None, proceeding_seq: int | None,
) -> FeedbackReceipt:
    """Record a party's rating of a concluded proceeding (once); the comment stays out of the events."""
    comment = comment.strip() if comment else None
    if comment and "\x00" in comment:
        raise invalid([{"field": "comment", "message": "must not contain NUL characters"}])
    comment = comment or None
    case_id = await _verified_case_id(reference, code, address)
    async with transaction():
        async with connection() as conn:
            case = await conn.fetchrow(
                "SELECT id, reference FROM case_file WHERE id = $1 FOR UPDATE", case_id
            )
            proceeding = await conn.fetchrow(
                f"""SELECT p.id, p.seq FROM proceeding p
                    WHERE p.case_id = $1 AND {RATEABLE} AND ($2::int IS NULL OR p.seq = $2)
                    ORDER BY p.seq DESC LIMIT 1""",
                case_id, proceeding_seq,
            )
            if proceeding is None:
                raise conflict("not-concluded", "there is no concluded proceeding to rate yet"
                               if proceeding_seq is None else f"proceeding {proceeding_seq} has not concluded")
            row = await conn.fetchrow(
                """INSERT INTO feedback (case_id, proceeding_id, rating, comment) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (proceeding_id) DO NOTHING RETURNING created_at""",
                case_id, proceeding["id"], rating, comment,
            )
            if row is None:
                raise conflict("feedback-exists", f"proceeding {proceeding['seq']} has already been rated")
            # The comment may name people: it stays in the feedback table, out
            # of the event and so out of the outbox and webhooks.
            await log_case_event(
                conn, case_id=case_id, reference=case["reference"], type="feedback_received", actor=None,
                proceeding_id=proceeding["id"],
                data={"rating": rating, "proceeding": proceeding["seq"], "has_comment": bool(comment)},
            )
            await conn.execute(
                "UPDATE case_file SET version = version + 1, updated_at = casework_now() WHERE id = $1", case_id
            )
    return FeedbackReceipt(reference=case["reference"], proceeding=proceeding["seq"], rating=rating,
                           created_at=row["created_at"])
