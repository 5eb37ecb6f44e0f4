"""Removing objects whose upload never committed.

Every object is named by a ``stored_object_pending`` row from before its
first byte until the transaction that commits its attachment (or template)
row, which deletes the pending row (documents.attachments). A pending row
older than the grace period is an upload that died (a crash between the
object's write and the commit, a lost connection): the sweep holds the row
(``FOR UPDATE SKIP LOCKED``), deletes the object, then the row, and
commits. An upload that is merely slow and commits later finds its row
gone and is refused (503, nothing acknowledged); one that commits first
leaves no row to sweep. A crash of the sweep itself leaves the row, and the
next sweep deletes again (a missing object is not an error).

``stray_objects`` compares a listing of the store with the tables, for an
operator: objects no row names at all (say, a store shared with a restored
older database). It only reports them; deleting what no row names is a
decision about a backup, not a sweep's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from casework.db import connection, transaction
from casework.documents.storage import storage
from casework.settings import get_settings

log = structlog.get_logger(__name__)


@dataclass
class SweepReport:
    removed: list[str] = field(default_factory=list)


async def sweep_orphans(grace_seconds: int | None = None, batch: int = 100) -> SweepReport:
    grace = get_settings().orphan_grace_seconds if grace_seconds is None else grace_seconds
    report = SweepReport()
    store = storage()
    while True:
        async with transaction():
            async with connection() as conn:
                rows = await conn.fetch(
                    """SELECT storage_key FROM stored_object_pending
                       WHERE started_at <= now() - make_interval(secs => $1)
                       ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED""", grace, batch)
                for row in rows:
                    await store.delete(row["storage_key"])
                keys = [r["storage_key"] for r in rows]
                await conn.execute("DELETE FROM stored_object_pending WHERE storage_key = ANY($1::text[])", keys)
        report.removed.extend(keys)
        if len(rows) < batch:
            break
    if report.removed:
        log.info("orphan_objects_removed", count=len(report.removed))
    return report


async def stray_objects(prefix: str = "") -> list[str]:
    """Objects in the store that neither an attachment, a template nor a pending upload names."""
    found = [obj.key async for obj in storage().listing(prefix)]
    if not found:
        return []
    async with connection() as conn:
        known = {r["storage_key"] for r in await conn.fetch(
            """SELECT storage_key FROM attachment WHERE storage_key = ANY($1::text[])
               UNION SELECT storage_key FROM notice_template WHERE storage_key = ANY($1::text[])
               UNION SELECT storage_key FROM stored_object_pending WHERE storage_key = ANY($1::text[])""", found)}
    return sorted(set(found) - known)
