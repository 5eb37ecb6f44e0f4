"""Cases changed since a cursor, for phones that were offline.

Every insert or update of a case leaves a ``case_change`` row (trigger)
carrying the id of the writing transaction (``pg_current_xact_id()``).
Transactions do not commit in the order of their ids, so a cursor that
simply remembered "the highest id seen" would skip a change whose
transaction started earlier but committed later. Instead a page only hands
out changes of transactions older than ``pg_snapshot_xmin`` of the current
snapshot, the oldest transaction still running: every transaction below it
has finished, so nothing can still appear behind the cursor. The price is
that a long-running transaction holds the feed back (it lags, it never
skips). The cursor is (transaction id, case id), the table's primary key,
so pages are an index range scan.

Each item is the case as it is now (the same fields as the case list, with
``version``): a client keeps, per reference, the highest version it has
seen. A case that moved out of the caller's jurisdiction is reported in
``gone``.
"""

from __future__ import annotations

import base64
from typing import Any

from casework.access.service import Principal
from casework.cases.service import LIST_COLUMNS
from casework.db import connection
from casework.problems import invalid

START = (0, -1)


def encode_cursor(txid: int, case_id: int) -> str:
    return base64.urlsafe_b64encode(f"{txid}:{case_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return START
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        txid, case_id = raw.split(":")
        value = int(txid), int(case_id)
    except (ValueError, UnicodeDecodeError):
        raise invalid([{"field": "since", "message": "is not a cursor this service issued"}]) from None
    if value[0] < 0:
        raise invalid([{"field": "since", "message": "is not a cursor this service issued"}])
    return value


async def changes(actor: Principal, *, since: str | None, limit: int) -> dict[str, Any]:
    txid, case_id = decode_cursor(since)
    low, high = actor.jurisdiction, actor.jurisdiction + ":"
    async with connection() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            horizon = int(await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
            rows = await conn.fetch(
                """SELECT txid::text::bigint AS txid, case_id, division_code FROM case_change
                   WHERE (txid, case_id) > ($1::text::xid8, $2::bigint)
                     AND txid < $3::text::xid8
                     AND division_code >= $4 AND division_code < $5
                   ORDER BY txid, case_id LIMIT $6""",
                str(txid), case_id, str(horizon), low, high, limit + 1,
            )
            page = rows[:limit]
            ids = sorted({r["case_id"] for r in page})
            cases = await conn.fetch(
                f"SELECT {LIST_COLUMNS}, c.updated_at, c.closed_at FROM case_file c WHERE c.id = ANY($1::bigint[])",
                ids,
            )
    current = {r["id"]: dict(r) for r in cases}
    items, gone = [], []
    for case_id_ in ids:
        case = current.get(case_id_)
        if case is not None and case["division_code"].startswith(actor.jurisdiction):
            items.append(case)
        elif case is not None:
            gone.append(case["reference"])
    items.sort(key=lambda c: c["id"])
    has_more = len(rows) > limit
    if has_more:
        next_cursor = encode_cursor(page[-1]["txid"], page[-1]["case_id"])
    else:
        # Everything below the horizon has been read (for this jurisdiction):
        # the next page starts at the oldest transaction that may still commit.
        next_cursor = encode_cursor(max(horizon, txid), -1 if horizon > txid else case_id)
    return {"items": items, "gone": gone, "next_cursor": next_cursor, "has_more": has_more}
