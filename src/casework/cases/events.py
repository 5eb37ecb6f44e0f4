"""The case timeline: every change is an event, written with its outbox row
in the same transaction (the webhook dispatcher reads the outbox).

Events about files (attachments, generated documents, their downloads) are
in the timeline only: files never go out in webhooks (``outbox=False``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from casework import timeutil
from casework.access.service import Principal

_INSERT_EVENTS = """
WITH e AS (
    INSERT INTO case_event (case_id, proceeding_id, actor_id, actor_role, type, data)
    SELECT $1, x.proceeding_id, $2, $3, x.type, x.data::jsonb
    FROM unnest($4::bigint[], $5::text[], $6::text[]) WITH ORDINALITY AS x(proceeding_id, type, data, n)
    ORDER BY x.n
    RETURNING id, type, at, data
), o AS (
    INSERT INTO outbox (event_id, case_id, type, payload)
    SELECT e.id, $1, e.type,
           jsonb_build_object('event_id', e.id, 'type', e.type, 'case', $7::text, 'at', casework_rfc3339(e.at), 'data', e.data)
    FROM e ORDER BY e.id
)
SELECT id FROM e ORDER BY id
"""

_INSERT_EVENTS_ONLY = """
INSERT INTO case_event (case_id, proceeding_id, actor_id, actor_role, type, data)
SELECT $1, x.proceeding_id, $2, $3, x.type, x.data::jsonb
FROM unnest($4::bigint[], $5::text[], $6::text[]) WITH ORDINALITY AS x(proceeding_id, type, data, n)
ORDER BY x.n
RETURNING id
"""


async def log_case_events(
    conn: Any,
    *,
    case_id: int,
    reference: str,
    actor: Principal | None,
    events: Iterable[tuple[str, dict[str, Any], int | None]],
    outbox: bool = True,
) -> list[int]:
    """Append events (type, data, proceeding id) and their outbox rows in one
    round trip, in the order given; returns the event ids. ``outbox=False``:
    the timeline only (nothing for webhooks)."""
    rows = list(events)
    if not rows:
        return []
    args = [case_id, actor.id if actor else None, actor.role if actor else None,
            [proceeding_id for _, _, proceeding_id in rows], [type_ for type_, _, _ in rows],
            [json.dumps(data, default=timeutil.json_default, ensure_ascii=False) for _, data, _ in rows]]
    ids = await (conn.fetch(_INSERT_EVENTS, *args, reference) if outbox else conn.fetch(_INSERT_EVENTS_ONLY, *args))
    return [r["id"] for r in ids]


# Events of many cases, written by the system (no actor), with their outbox
# rows: the sweep's lapses. Each case's events keep the order given.
_INSERT_EVENTS_OF_CASES = """
WITH x AS MATERIALIZED (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[])
                  WITH ORDINALITY AS x(case_id, reference, proceeding_id, type, data, n)
), e AS (
    INSERT INTO case_event (case_id, proceeding_id, type, data)
    SELECT x.case_id, x.proceeding_id, x.type, x.data::jsonb FROM x ORDER BY x.n
    RETURNING id, case_id, type, at, data
), o AS (
    INSERT INTO outbox (event_id, case_id, type, payload)
    SELECT e.id, e.case_id, e.type,
           jsonb_build_object('event_id', e.id, 'type', e.type, 'case', r.reference, 'at', casework_rfc3339(e.at),
                              'data', e.data)
    FROM e JOIN (SELECT DISTINCT case_id, reference FROM x) r ON r.case_id = e.case_id ORDER BY e.id
)
SELECT count(*) FROM e
"""


async def log_system_events(
    conn: Any, cases: Iterable[tuple[int, str, Iterable[tuple[str, dict[str, Any], int | None]]]],
) -> int:
    """Append events the system wrote (no actor) for many cases in one round
    trip: (case id, reference, events as for ``log_case_events``) each, the
    cases locked by the caller. Returns how many were written."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [])
    for case_id, reference, events in cases:
        for type_, data, proceeding_id in events:
            for column, value in zip(columns, (case_id, reference, proceeding_id, type_,
                                               json.dumps(data, default=timeutil.json_default, ensure_ascii=False)),
                                     strict=True):
                column.append(value)
    if not columns[0]:
        return 0
    return await conn.fetchval(_INSERT_EVENTS_OF_CASES, *columns)


async def log_case_event(
    conn: Any,
    *,
    case_id: int,
    reference: str,
    type: str,
    data: dict[str, Any],
    actor: Principal | None,
    proceeding_id: int | None = None,
    outbox: bool = True,
) -> int:
    """Append one event and its outbox row; returns the event id."""
    ids = await log_case_events(conn, case_id=case_id, reference=reference, actor=actor,
                                events=[(type, data, proceeding_id)], outbox=outbox)
    return ids[0]
