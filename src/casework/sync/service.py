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
``version``, and its files as metadata: ``files``, no bytes): a client
keeps, per reference, the highest version it has seen. Adding or
withdrawing a file bumps the case's version, so the case is fed again. Scope is the one rule (access.scope): a change is fed to a caller
when the case was in their scope before or after it (for a mediator, with
their body or assigned to them); a case that is no longer in their scope
is reported in ``gone``, one that never was is never named.
"""

from __future__ import annotations

from typing import Any

import msgspec

from casework import paging, reads
from casework.access.scope import Scope
from casework.access.service import Principal
from casework.cases.read import LIST_COLUMNS
from casework.sync.schemas import SyncPage

START = (0, -1)


def _position(key: list) -> tuple[int, int]:
    txid, case_id = int(key[0]), int(key[1])
    if txid < 0 or len(key) != 2:
        raise ValueError(key)
    return txid, case_id


def _legacy_position(cursor: str) -> tuple[int, int]:
    """A cursor from the release before (``txid:case_id``), which devices keep."""
    return _position(paging.unbase64(cursor).split(":"))


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return START
    return paging.decode(cursor, _position, field="since", legacy=_legacy_position)


def encode_cursor(txid: int, case_id: int) -> str:
    return paging.encode(txid, case_id)


def _was_in(scope: Scope, prefix: str, args: list[Any]) -> str:
    """The change row's state after (``prefix`` "") or before ("old_") was in ``scope``."""
    args.extend(scope.bounds)
    sql = f"(x.{prefix}division_code >= ${len(args) - 1} AND x.{prefix}division_code < ${len(args)}"
    if scope.body_bound:
        args.extend([scope.body_id, scope.user_id])
        sql += f" AND (x.{prefix}body_id = ${len(args) - 1} OR x.{prefix}assignee_id = ${len(args)})"
    return sql + ")"


async def changes(actor: Principal, *, since: str | None, limit: int) -> SyncPage:
    txid, case_id = decode_cursor(since)
    scope = Scope.of(actor)

    async def feed(conn: Any) -> tuple[int, list[Any], list[Any], list[Any]]:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            horizon = int(await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
            args: list[Any] = [str(txid), case_id, str(horizon), limit + 1]
            rows = await conn.fetch(
                f"""SELECT txid::text::bigint AS txid, case_id FROM case_change x
                    WHERE (txid, case_id) > ($1::text::xid8, $2::bigint)
                      AND txid < $3::text::xid8
                      AND ({_was_in(scope, "", args)} OR {_was_in(scope, "old_", args)})
                    ORDER BY txid, case_id LIMIT $4""",
                *args,
            )
            page = rows[:limit]
            ids = sorted({r["case_id"] for r in page})
            cases = await conn.fetch(
                f"""SELECT {LIST_COLUMNS}, c.assignee_id, c.updated_at, c.closed_at FROM case_file c
                    WHERE c.id = ANY($1::bigint[])""",
                ids,
            )
            files = await conn.fetch(
                """SELECT case_id, id, filename, content_type, size_bytes, sha256, personal_data, purpose,
                          uploaded_at, withdrawn_at IS NOT NULL AS withdrawn
                   FROM attachment WHERE case_id = ANY($1::bigint[]) ORDER BY id""", ids)
        return horizon, rows, cases, files

    # On a standby the feed is the primary's as of a moment ago: its
    # horizon is that moment's oldest running transaction, so it lags, as
    # a long transaction makes it lag, and never skips.
    horizon, rows, cases, files = await reads.read(feed)
    page = rows[:limit]
    ids = sorted({r["case_id"] for r in page})
    current = {r["id"]: {**dict(r), "files": []} for r in cases}
    for row in files:
        if row["case_id"] in current:
            current[row["case_id"]]["files"].append({k: v for k, v in dict(row).items() if k != "case_id"})
    items, gone = [], []
    for case_id_ in ids:
        case = current.get(case_id_)
        if case is not None and scope.allows(case):
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
    return msgspec.convert({"items": items, "gone": gone, "next_cursor": next_cursor, "has_more": has_more},
                           SyncPage)
