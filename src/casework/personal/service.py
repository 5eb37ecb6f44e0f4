"""Reading personal identifiers in clear, one case at a time, on the record.

Responses mask ID numbers and phones (and hide addresses) by default. A role
holding ``case.reveal_personal`` may ask for them on one case with a reason;
the read is an append-only ``personal_data_revealed`` case event naming who,
when, which parties and fields, and why. The reason is staff free text and
may itself name people, so the outbox copy (what webhooks send) carries the
parties and fields but not the reason.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from casework.access.service import Principal
from casework.cases import core
from casework.db import connection, transaction
from casework.personal import crypto
from casework.personal.schemas import RevealedPersonalData
from casework.problems import invalid

FIELDS = ("id_number", "phone", "address")


async def reveal(
    reference: str, *, actor: Principal, reason: str, positions: list[int] | None, fields: list[str] | None,
) -> RevealedPersonalData:
    """The parties' identifiers in clear, recorded as a case event with ``reason``."""
    reason = reason.strip()
    if len(reason) < 5 or "\x00" in reason:
        raise invalid([{"field": "reason", "message": "say why (at least 5 characters)"}])
    wanted = tuple(dict.fromkeys(fields)) if fields else FIELDS
    async with transaction():
        async with connection() as conn:
            case = await core.case_by_reference(conn, reference, actor)
            rows = await conn.fetch(
                """SELECT position, role, kind, name, id_number_enc, id_number_masked, phone_enc, phone_masked,
                          address_enc FROM party WHERE case_id = $1 ORDER BY position""",
                case["id"],
            )
            if positions:
                unknown = sorted(set(positions) - {r["position"] for r in rows})
                if unknown:
                    raise invalid([{"field": "parties", "message": f"no party at position {unknown[0]}"}])
                rows = [r for r in rows if r["position"] in positions]
            parties, revealed = [], []
            for row in rows:
                clear = {
                    "id_number": crypto.decrypt(row["id_number_enc"]),
                    "phone": crypto.decrypt(row["phone_enc"]),
                    "address": crypto.decrypt(row["address_enc"]),
                }
                masked = {"id_number": row["id_number_masked"], "phone": row["phone_masked"],
                          "address": "***" if row["address_enc"] else None}
                shown = [f for f in wanted if clear[f] is not None]
                parties.append({
                    "position": row["position"], "role": row["role"], "kind": row["kind"], "name": row["name"],
                    **{f: clear[f] if f in shown else masked[f] for f in FIELDS},
                })
                if shown:
                    revealed.append({"position": row["position"], "role": row["role"], "fields": shown})
            event_id = await _record(conn, case=case, actor=actor, revealed=revealed, reason=reason)
    return msgspec.convert({"reference": case["reference"], "parties": parties, "event_id": event_id},
                           RevealedPersonalData)


async def _record(conn: Any, *, case: dict[str, Any], actor: Principal, revealed: list[dict[str, Any]],
                  reason: str) -> int:
    # Like cases.events.log_case_event, except that the outbox copy leaves
    # the reason out (see the module docstring).
    full = {"parties": revealed, "reason": reason, "actor": actor.username}
    outbound = {"parties": revealed}
    return await conn.fetchval(
        """WITH e AS (
               INSERT INTO case_event (case_id, proceeding_id, actor_id, actor_role, type, data)
               VALUES ($1, $2, $3, $4, 'personal_data_revealed', $5::jsonb)
               RETURNING id, at
           ), o AS (
               INSERT INTO outbox (event_id, case_id, type, payload)
               SELECT e.id, $1, 'personal_data_revealed',
                      jsonb_build_object('event_id', e.id, 'type', 'personal_data_revealed', 'case', $7::text,
                                         'at', casework_rfc3339(e.at), 'data', $6::jsonb)
               FROM e
           )
           SELECT id FROM e""",
        case["id"], case["current_proceeding_id"], actor.id, actor.role,
        json.dumps(full, ensure_ascii=False), json.dumps(outbound), case["reference"],
    )
