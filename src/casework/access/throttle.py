"""Counting failed attempts in PostgreSQL, shared by every worker.

Used for sign-in (per account and per client address) and the public
lookup (per case reference and per address). An attempt is inserted first
and counted after, so concurrent attempts see each other and a burst cannot
slip past a check-then-insert gap; an attempt refused as over the limit is
removed again (it does not lengthen the lock), a successful one too. Keys
are stored as keyed hashes: no usernames or addresses in the table.

Written by hand: Litestar's RateLimitConfig counts every request per client
in a process-local or cache store, not failures per account or per case
reference across workers.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from casework import metrics
from casework.personal import crypto
from casework.problems import Problem


@dataclass(frozen=True)
class Limit:
    bucket: str
    max_failures: int
    window: dt.timedelta


class TooManyAttempts(Problem):
    def __init__(self, retry_after: int, detail: str) -> None:
        super().__init__(
            429, "too-many-requests", "Too many requests", detail,
            headers={"Retry-After": str(retry_after)}, retry_after=retry_after,
        )


def _key(limit: Limit, raw: str) -> str:
    return crypto.keyed_hash(f"{limit.bucket}:{raw}", purpose="throttle")


async def attempt(conn: Any, checks: list[tuple[Limit, str]], detail: str) -> list[int]:
    """Count one attempt against every (limit, key); raise 429 if any is exhausted.

    Returns the ids of the rows written, for ``forget`` once the attempt
    turns out not to be a failure.
    """
    if random.random() < 0.01:  # keep the table small without a scheduler
        await conn.execute("DELETE FROM throttle_event WHERE at < clock_timestamp() - interval '2 days'")
    ids: list[int] = []
    retry_after = 0
    refused_by: list[str] = []
    for limit, raw in checks:
        key = _key(limit, raw)
        ids.append(await conn.fetchval(
            "INSERT INTO throttle_event (bucket, key) VALUES ($1, $2) RETURNING id", limit.bucket, key,
        ))
        count = await conn.fetchval(
            """SELECT count(*) FROM throttle_event
               WHERE bucket = $1 AND key = $2 AND at > clock_timestamp() - $3::interval""",
            limit.bucket, key, limit.window,
        )
        if count > limit.max_failures:
            retry_after = max(retry_after, await _retry_after(conn, limit, key, exclude=ids))
            refused_by.append(limit.bucket)
    if retry_after:
        for bucket in refused_by:
            metrics.THROTTLE_REFUSALS.labels(limit=bucket).inc()
        await forget(conn, ids)
        raise TooManyAttempts(retry_after, detail)
    return ids


async def _retry_after(conn: Any, limit: Limit, key: str, exclude: list[int]) -> int:
    # The moment the count in the window drops below the limit: when the
    # max_failures-th most recent counted failure leaves the window.
    oldest_needed = await conn.fetchval(
        """SELECT extract(epoch FROM at + $3::interval - clock_timestamp()) FROM throttle_event
           WHERE bucket = $1 AND key = $2 AND at > clock_timestamp() - $3::interval AND id <> ALL($4::bigint[])
           ORDER BY at DESC OFFSET $5 LIMIT 1""",
        limit.bucket, key, limit.window, exclude, limit.max_failures - 1,
    )
    return max(1, math.ceil(float(oldest_needed or 1)))


async def forget(conn: Any, ids: list[int]) -> None:
    """Un-count attempts that were not failures."""
    if ids:
        await conn.execute("DELETE FROM throttle_event WHERE id = ANY($1::bigint[])", ids)


async def reset(conn: Any, limit: Limit, raw: str) -> None:
    """Clear a key (an account after a successful sign-in)."""
    await conn.execute("DELETE FROM throttle_event WHERE bucket = $1 AND key = $2", limit.bucket, _key(limit, raw))


async def count(conn: Any, limit: Limit, raw: str) -> tuple[bool, int]:
    """Count one event against (limit, key), never refusing: (whether the
    window now holds more than the limit, the row's id for ``forget``). For
    limits whose excess must not show on the surface (per phone, in online
    filing: a 429 would tell whether someone else had used that phone)."""
    key = _key(limit, raw)
    row_id = await conn.fetchval("INSERT INTO throttle_event (bucket, key) VALUES ($1, $2) RETURNING id",
                                 limit.bucket, key)
    over = await conn.fetchval(
        """SELECT count(*) FROM throttle_event
           WHERE bucket = $1 AND key = $2 AND at > clock_timestamp() - $3::interval""",
        limit.bucket, key, limit.window,
    ) > limit.max_failures
    return over, row_id
