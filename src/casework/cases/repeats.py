"""Possible repeats: earlier cases of the same applicant against the same
respondent on the same category (信访工作条例 art. 36, the repeat window in
settings). Searched everywhere, named only within the reader's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework.access.scope import Scope
from casework.cases.identity import normalize_id_number, normalize_phone
from casework.cases.schemas import CaseCreate
from casework.personal import crypto
from casework.settings import get_settings


def _party_keys(data: CaseCreate) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {"id_hashes": [], "name_phone": [], "phone_hashes": [], "resp_names": [],
                                  "resp_hashes": []}
    for party in data.parties:
        id_hash = crypto.keyed_hash(normalize_id_number(party.id_number)) if party.id_number else None
        if party.role == "applicant":
            if id_hash:
                keys["id_hashes"].append(id_hash)
            if party.phone:
                phone_hash = crypto.keyed_hash(normalize_phone(party.phone))
                keys["phone_hashes"].append(phone_hash)
                keys["name_phone"].append(f"{party.name.strip()}\x1f{phone_hash}")
        elif party.role == "respondent":
            keys["resp_names"].append(party.name.strip())
            if id_hash:
                keys["resp_hashes"].append(id_hash)
    return keys


async def find_repeats(
    conn: Any, data: CaseCreate, *, received_at: dt.datetime, exclude_id: int | None,
) -> list[dict[str, Any]]:
    """Earlier cases of the same applicant (ID number, or name and phone)
    against the same respondent on the same category within the window."""
    keys = _party_keys(data)
    if not keys["id_hashes"] and not keys["name_phone"]:
        return []
    since = received_at - dt.timedelta(days=get_settings().repeat_window_days)
    rows = await conn.fetch(
        """SELECT DISTINCT c.id, c.reference, c.status, c.stage, c.track, c.received_at, c.terminated,
                  c.division_code, c.body_id, c.assignee_id
           FROM party a JOIN case_file c ON c.id = a.case_id
           WHERE a.role = 'applicant'
             AND (a.id_number_hash = ANY($1::text[])
                  -- phone_hash = ANY($8) lets party_phone_hash_idx find the
                  -- rows; the concatenation alone is a scan of every party
                  -- with a phone (all applicants, in a real city).
                  OR (a.phone_hash = ANY($8::text[])
                      AND (a.name || chr(31) || a.phone_hash) = ANY($2::text[])))
             AND c.category_code = $3
             AND (c.received_at >= $4 OR c.terminated)
             AND c.id IS DISTINCT FROM $5
             AND (cardinality($6::text[]) = 0 OR EXISTS (
                    SELECT 1 FROM party r WHERE r.case_id = c.id AND r.role = 'respondent'
                      AND (r.name = ANY($6::text[]) OR r.id_number_hash = ANY($7::text[]))))
           ORDER BY c.received_at DESC LIMIT 20""",
        keys["id_hashes"], keys["name_phone"], data.category, since, exclude_id,
        keys["resp_names"], keys["resp_hashes"], keys["phone_hashes"],
    )
    return [
        {"reference": r["reference"], "status": r["status"], "stage": r["stage"], "track": r["track"],
         "received_at": r["received_at"], "terminated": r["terminated"],
         "division_code": r["division_code"], "body_id": r["body_id"], "assignee_id": r["assignee_id"]}
        for r in rows
    ]


_REPEAT_KEYS = ("reference", "status", "stage", "track", "received_at", "terminated", "division_code")


def shown_repeats(repeats: list[dict[str, Any]], scope: Scope) -> list[dict[str, Any]]:
    """The earlier cases a reader may be told of: only those in their scope."""
    return [{k: r[k] for k in _REPEAT_KEYS} for r in repeats if scope.allows(r)]

