"""Written notices to a party and their service (送达).

A notice is issued by the step that makes it (an opinion, a decision, a
not-accepted notice, guidance on the other channels); it is served when the
party receives it: in person (signed receipt), by post (posting date and
postal receipt; the time in the post is not counted against the party),
electronically (only with the party's consent) or by public notice. The
party's periods start on the day served (``served:<kind>`` events of the
clock engine). A correction of a service date is a new service row that
supersedes the old one; every clock counted from the old date is
recomputed (deadlines.recompute), stopped ones included.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from casework import timeutil
from casework.deadlines.engine import Journal, Subject, apply_event
from casework.deadlines.recompute import recompute_clock
from casework.notices.schemas import AttemptCreate, Served
from casework.problems import Problem, invalid, not_found


@lru_cache(maxsize=1)
def kinds() -> dict[str, dict[str, str]]:
    raw = json.loads(resources.files("casework.notices").joinpath("data", "notice_kinds.json").read_text("utf-8"))
    return {k["code"]: k for k in raw["kinds"]}


async def issue(
    conn: Any, case: dict[str, Any], proceeding: dict[str, Any], kind: str, on: dt.date, journal: Journal, *,
    actor_id: int | None, details: dict[str, Any] | None = None, record_kind: str | None = None,
    record_id: int | None = None, served: Served | None = None,
) -> int:
    """Issue a notice on ``on`` (and serve it at once when ``served`` is given)."""
    if kind not in kinds():
        raise ValueError(f"unknown notice kind {kind}")
    notice_id = await conn.fetchval(
        """INSERT INTO notice (case_id, proceeding_id, kind, issued_on, record_kind, record_id, details, issued_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING id""",
        case["id"], proceeding["id"], kind, on, record_kind, record_id, json.dumps(details or {}, default=timeutil.json_default),
        actor_id)
    journal.add("notice_issued", {"notice_id": notice_id, "kind": kind, "issued_on": str(on),
                                  **({"record": record_kind, "record_id": record_id} if record_kind else {})},
                proceeding["id"])
    if served is not None:
        await serve(conn, case, await _notice(conn, case["id"], notice_id), served, journal, actor_id=actor_id,
                    today=max(on, served.served_on))
    return notice_id


def check_service(served: Served, issued_on: dt.date, today: dt.date, field: str = "served") -> None:
    errors = []
    if served.served_on > today:
        errors.append({"field": f"{field}.served_on", "message": "must not be in the future"})
    if served.served_on < issued_on:
        errors.append({"field": f"{field}.served_on", "message": f"must not be before the notice was issued "
                                                                 f"({issued_on})"})
    if served.method == "post":
        if served.posted_on is None:
            errors.append({"field": f"{field}.posted_on", "message": "is required for service by post"})
        elif not issued_on <= served.posted_on <= served.served_on:
            errors.append({"field": f"{field}.posted_on", "message": "must lie between issue and receipt"})
    elif served.posted_on is not None:
        errors.append({"field": f"{field}.posted_on", "message": "is only for service by post"})
    if served.method == "electronic" and not served.consent_recorded:
        errors.append({"field": f"{field}.consent_recorded",
                       "message": "electronic service needs the party's recorded consent"})
    if errors:
        raise invalid(errors)


async def _notice(conn: Any, case_id: int, notice_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT n.*, p.track FROM notice n JOIN proceeding p ON p.id = n.proceeding_id
           WHERE n.id = $1 AND n.case_id = $2""", notice_id, case_id)
    if row is None:
        raise not_found("notice")
    return dict(row)


async def current_service(conn: Any, notice_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT s.* FROM notice_service s WHERE s.notice_id = $1
             AND NOT EXISTS (SELECT 1 FROM notice_service x WHERE x.supersedes = s.id)
           ORDER BY s.id DESC LIMIT 1""", notice_id)
    return dict(row) if row else None


def _subject(notice: dict[str, Any]) -> Subject:
    track = notice["track"]
    if notice["record_kind"] == "lawsuit":
        track = "litigation"
    return Subject(notice["case_id"], notice["proceeding_id"], track, notice["record_kind"], notice["record_id"])


async def serve(
    conn: Any, case: dict[str, Any], notice: dict[str, Any], served: Served, journal: Journal, *,
    actor_id: int | None, today: dt.date,
) -> int:
    """Record that the party received the notice; their periods start that day."""
    check_service(served, notice["issued_on"], today)
    if await current_service(conn, notice["id"]) is not None:
        raise Problem(409, "already-served", "Already served",
                      "this notice's service is recorded; correct it with .../service/correction")
    if served.proof_attachment_id is not None:
        await check_proof(conn, notice["case_id"], served.proof_attachment_id, "served.proof_attachment_id")
    service_id = await conn.fetchval(
        """INSERT INTO notice_service (notice_id, method, posted_on, tracking_number, served_on, consent_recorded,
               recorded_by, proof_attachment_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
        notice["id"], served.method, served.posted_on, served.tracking_number, served.served_on,
        served.consent_recorded, actor_id, served.proof_attachment_id)
    journal.add("notice_served", {"notice_id": notice["id"], "kind": notice["kind"], "method": served.method,
                                  "served_on": str(served.served_on),
                                  "posted_on": str(served.posted_on) if served.posted_on else None,
                                  "service_id": service_id, "proof_attachment_id": served.proof_attachment_id},
                notice["proceeding_id"])
    await apply_event(conn, _subject(notice), f"served:{notice['kind']}", served.served_on, journal,
                      start_ref={"service_id": service_id, "notice_id": notice["id"]})
    return service_id


async def check_proof(conn: Any, case_id: int, attachment_id: int, field: str) -> None:
    """The proof is a file of this case, not withdrawn."""
    row = await conn.fetchrow("SELECT withdrawn_at FROM attachment WHERE id = $1 AND case_id = $2",
                              attachment_id, case_id)
    if row is None or row["withdrawn_at"] is not None:
        raise invalid([{"field": field, "message": "is not a file of this case (upload it first), or was withdrawn"}])


async def record_attempt(conn: Any, case: dict[str, Any], notice_id: int, data: AttemptCreate, journal: Journal, *,
                         actor_id: int, today: dt.date) -> int:
    """A try at service that did not (yet) serve; the notice stays to be served."""
    notice = await _notice(conn, case["id"], notice_id)
    if await current_service(conn, notice_id) is not None:
        raise Problem(409, "already-served", "Already served", "this notice's service is recorded")
    errors = []
    if data.attempted_on > today:
        errors.append({"field": "attempted_on", "message": "must not be in the future"})
    if data.attempted_on < notice["issued_on"]:
        errors.append({"field": "attempted_on", "message": f"must not be before the notice was issued "
                                                           f"({notice['issued_on']})"})
    if data.method == "post" and data.result == "posted" and data.posted_on is None:
        errors.append({"field": "posted_on", "message": "is required when the notice was posted"})
    if data.posted_on is not None and data.method != "post":
        errors.append({"field": "posted_on", "message": "is only for service by post"})
    if errors:
        raise invalid(errors)
    if data.proof_attachment_id is not None:
        await check_proof(conn, case["id"], data.proof_attachment_id, "proof_attachment_id")
    attempt_id = await conn.fetchval(
        """INSERT INTO notice_service_attempt (notice_id, method, attempted_on, result, posted_on, tracking_number,
               note, proof_attachment_id, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
        notice_id, data.method, data.attempted_on, data.result, data.posted_on, data.tracking_number, data.note,
        data.proof_attachment_id, actor_id)
    # The note is staff text and may name people: it stays on the row.
    journal.add("notice_service_attempted", {"notice_id": notice_id, "kind": notice["kind"], "attempt_id": attempt_id,
                                             "method": data.method, "result": data.result,
                                             "attempted_on": str(data.attempted_on)}, notice["proceeding_id"])
    return attempt_id


async def add_proof(conn: Any, case: dict[str, Any], notice_id: int, attachment_id: int, journal: Journal) -> None:
    """The signed receipt or the postal return card, for a service already recorded."""
    notice = await _notice(conn, case["id"], notice_id)
    current = await current_service(conn, notice_id)
    if current is None:
        raise Problem(409, "not-served", "Not served yet", "record the service first (with its proof)")
    if current["proof_attachment_id"] is not None:
        raise Problem(409, "proof-recorded", "Conflict", "this service has its proof; correct the service instead")
    await check_proof(conn, case["id"], attachment_id, "proof_attachment_id")
    await conn.execute("UPDATE notice_service SET proof_attachment_id = $2 WHERE id = $1", current["id"],
                       attachment_id)
    journal.add("notice_service_proof_added", {"notice_id": notice_id, "service_id": current["id"],
                                               "proof_attachment_id": attachment_id}, notice["proceeding_id"])


async def serve_notice(conn: Any, case: dict[str, Any], notice_id: int, served: Served, journal: Journal, *,
                       actor_id: int, today: dt.date) -> int:
    return await serve(conn, case, await _notice(conn, case["id"], notice_id), served, journal,
                       actor_id=actor_id, today=today)


async def correct_service(
    conn: Any, case: dict[str, Any], notice_id: int, served: Served, reason: str, journal: Journal, *,
    actor_id: int, today: dt.date,
) -> int:
    """A corrected service date: a new row supersedes the old, and every clock
    counted from the old one is recomputed from the new date (stopped ones
    too; breaches that no longer hold are withdrawn)."""
    notice = await _notice(conn, case["id"], notice_id)
    old = await current_service(conn, notice_id)
    if old is None:
        raise Problem(409, "not-served", "Not served yet", "record the service first")
    check_service(served, notice["issued_on"], today)
    service_id = await conn.fetchval(
        """INSERT INTO notice_service (notice_id, method, posted_on, tracking_number, served_on, consent_recorded,
               supersedes, reason, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
        notice_id, served.method, served.posted_on, served.tracking_number, served.served_on,
        served.consent_recorded, old["id"], reason, actor_id)
    journal.add("notice_service_corrected", {
        "notice_id": notice_id, "kind": notice["kind"], "served_on_before": str(old["served_on"]),
        "served_on": str(served.served_on), "method": served.method, "reason": reason, "service_id": service_id},
        notice["proceeding_id"])
    rows = await conn.fetch(
        "SELECT * FROM clock WHERE start_ref->>'service_id' = $1 ORDER BY id FOR UPDATE", str(old["id"]))
    for row in rows:
        await conn.execute(
            "UPDATE clock SET start_ref = start_ref || jsonb_build_object('service_id', $2::text) WHERE id = $1",
            row["id"], str(service_id))
        await recompute_clock(conn, dict(row), journal, reason=f"service date corrected: {reason}", today=today,
                              started_on=served.served_on)
    return service_id


async def notices_for_case(conn: Any, case_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT n.id, n.kind, n.issued_on, n.proceeding_id, p.seq AS proceeding_seq, n.record_kind, n.record_id,
                  n.details, n.document_number, n.document_attachment_id, n.template_version,
                  (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'id', s.id, 'method', s.method, 'posted_on', s.posted_on, 'served_on', s.served_on,
                          'tracking_number', s.tracking_number, 'supersedes', s.supersedes, 'reason', s.reason,
                          'recorded_at', casework_rfc3339(s.recorded_at), 'proof_attachment_id', s.proof_attachment_id)
                          ORDER BY s.id), '[]')
                   FROM notice_service s WHERE s.notice_id = n.id) AS services,
                  (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'id', a.id, 'method', a.method, 'attempted_on', a.attempted_on, 'result', a.result,
                          'posted_on', a.posted_on, 'tracking_number', a.tracking_number, 'note', a.note,
                          'proof_attachment_id', a.proof_attachment_id, 'recorded_at', casework_rfc3339(a.recorded_at))
                          ORDER BY a.id), '[]')
                   FROM notice_service_attempt a WHERE a.notice_id = n.id) AS attempts
           FROM notice n JOIN proceeding p ON p.id = n.proceeding_id
           WHERE n.case_id = $1 ORDER BY n.id""", case_id)
    result = []
    for r in rows:
        services = json.loads(r["services"])
        superseded = {s["supersedes"] for s in services if s["supersedes"]}
        current = next((s for s in reversed(services) if s["id"] not in superseded), None)
        kind = kinds().get(r["kind"], {})
        result.append({
            "id": r["id"], "kind": r["kind"], "name_zh": kind.get("name_zh"), "name_en": kind.get("name_en"),
            "issued_on": r["issued_on"], "proceeding_seq": r["proceeding_seq"], "record_kind": r["record_kind"],
            "record_id": r["record_id"], "details": json.loads(r["details"]),
            "served": current is not None, "service": current, "service_history": services,
            "attempts": json.loads(r["attempts"]), "document_number": r["document_number"],
            "document_attachment_id": r["document_attachment_id"], "template_version": r["template_version"],
        })
    return result
