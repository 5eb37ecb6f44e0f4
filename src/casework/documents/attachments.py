"""Files on a case, a proceeding or a record: upload, list, withdraw.

An upload is streamed: the request body is read a chunk at a time, the
first bytes decide the type (``filetypes.sniff``, before anything is
stored), and every chunk is hashed, counted against the per-file limit and
passed on to the store as it comes. The order that keeps nothing
acknowledged lost and nothing orphaned for good:

1. a ``stored_object_pending`` row for the new key commits first;
2. the object is written;
3. one transaction locks the case (If-Match), checks the case's total,
   inserts the attachment, deletes the pending row and writes the event;
   the client hears 201 only after it commits.

A failure after 1 deletes the object and the row on the spot; a crash
leaves the row, and ``documents.sweep`` deletes the object once the row is
older than the grace period. Step 3 refuses to commit when the sweep took
the row meanwhile (an upload slower than the grace period), so the sweep
never deletes an object an attachment row names.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog

from casework import paging
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_event
from casework.db import connection, separate_connection, transaction
from casework.documents.filetypes import SNIFF_BYTES, FileType, sniff
from casework.documents.schemas import AttachmentPage, AttachmentRead
from casework.documents.storage import new_key, storage
from casework.problems import Problem, invalid, not_found
from casework.settings import Settings

log = structlog.get_logger(__name__)

# Where a record of each kind is, and how it belongs to a case.
RECORD_TABLES = {
    "session": "SELECT 1 FROM mediation_session WHERE id = $1 AND case_id = $2",
    "agreement": "SELECT 1 FROM mediation_agreement WHERE id = $1 AND case_id = $2",
    "judicial_confirmation": "SELECT 1 FROM judicial_confirmation WHERE id = $1 AND case_id = $2",
    "reconsideration_decision": "SELECT 1 FROM reconsideration_decision WHERE id = $1 AND case_id = $2",
    "lawsuit": "SELECT 1 FROM lawsuit_case WHERE lawsuit_id = $1 AND case_id = $2",
    "arbitration": "SELECT 1 FROM arbitration WHERE id = $1 AND case_id = $2",
    "legal_aid": "SELECT 1 FROM legal_aid_record WHERE id = $1 AND case_id = $2",
}


@dataclass(frozen=True)
class Target:
    """What a file is attached to: the case, one of its proceedings, one of its records."""

    proceeding_seq: int | None = None
    record_kind: str | None = None
    record_id: int | None = None


@dataclass
class Stored:
    key: str
    type: FileType
    size: int
    sha256: str


def too_large(what: str, limit: int) -> Problem:
    return Problem(413, "request-too-large", "Request too large", f"{what} is limited to {limit} bytes",
                   limit=limit)


def clean_filename(raw: str | None) -> str:
    """The name as the user gave it, without folders or control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    if not name or name in (".", ".."):
        raise invalid([{"field": "filename", "message": "name the file (e.g. filename=来信.pdf)"}])
    if len(name) > 255:
        raise invalid([{"field": "filename", "message": "is longer than 255 characters"}])
    return name


async def _target_ids(conn: Any, case: dict[str, Any], target: Target) -> int | None:
    """The proceeding id the target names (422 when it is not this case's)."""
    proceeding_id = None
    if target.proceeding_seq is not None:
        proceeding_id = await conn.fetchval("SELECT id FROM proceeding WHERE case_id = $1 AND seq = $2",
                                            case["id"], target.proceeding_seq)
        if proceeding_id is None:
            raise invalid([{"field": "proceeding", "message": "this case has no proceeding with that number"}])
    if (target.record_kind is None) != (target.record_id is None):
        raise invalid([{"field": "record_id" if target.record_kind else "record_kind",
                        "message": "record_kind and record_id go together"}])
    if target.record_kind is not None:
        if target.record_kind not in RECORD_TABLES:
            raise invalid([{"field": "record_kind", "message": f"one of {', '.join(RECORD_TABLES)}"}])
        if not await conn.fetchval(RECORD_TABLES[target.record_kind], target.record_id, case["id"]):
            raise invalid([{"field": "record_id", "message": f"this case has no {target.record_kind} with that id"}])
    return proceeding_id


async def _case_total(conn: Any, case_id: int) -> int:
    return int(await conn.fetchval("SELECT coalesce(sum(size_bytes), 0) FROM attachment WHERE case_id = $1",
                                   case_id))


async def _head(chunks: AsyncIterator[bytes]) -> bytes:
    """At least SNIFF_BYTES from the start of the body (less if it is shorter)."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    return head


async def store_stream(body: AsyncIterable[bytes], *, max_bytes: int, kind: str = "files") -> Stored:
    """Sniff, then stream the body into the store under a pending key.

    415 (nothing written) when the first bytes are not an allowed type, 413
    (object and pending row removed) past ``max_bytes``. The caller commits
    the row that names the key with ``claim_pending`` in its transaction, or
    calls ``discard`` when it cannot."""
    chunks = aiter(body)
    head = await _head(chunks)
    if not head:
        raise invalid([{"field": "body", "message": "the file is empty"}])
    found, seen = sniff(head)
    if found is None:
        raise Problem(415, "unsupported-media-type", "Unsupported file type",
                      f"files of this type are not accepted ({seen or 'not recognised'}); see docs/documents.md",
                      detected=seen)
    digest, size = hashlib.sha256(), 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal size
        pending: bytes | None = head
        while True:
            chunk = pending if pending is not None else await anext(chunks, None)
            pending = None
            if chunk is None:
                return
            size += len(chunk)
            if size > max_bytes:
                raise too_large("one file", max_bytes)
            digest.update(chunk)
            yield chunk

    key = new_key(kind)
    async with separate_connection() as conn:  # committed before the first byte, whatever the caller has open
        await conn.execute("INSERT INTO stored_object_pending (storage_key) VALUES ($1)", key)
    try:
        await storage().put(key, counted())
    except BaseException:
        await discard(key)
        raise
    return Stored(key, found, size, digest.hexdigest())


async def claim_pending(conn: Any, key: str) -> None:
    """In the transaction that commits the row naming ``key``: take the pending
    row. Gone means the sweep judged the upload dead and deleted the object."""
    if await conn.fetchval("DELETE FROM stored_object_pending WHERE storage_key = $1 RETURNING 1", key) is None:
        raise Problem(503, "upload-expired", "Upload expired",
                      "the upload took longer than the server waits for one; send it again",
                      headers={"Retry-After": "1"})


async def discard(key: str) -> None:
    """Remove an object that will not be committed, and its pending row (best effort: the sweep finishes)."""
    try:
        await storage().delete(key)
        async with separate_connection() as conn:
            await conn.execute("DELETE FROM stored_object_pending WHERE storage_key = $1", key)
    except Exception as exc:  # noqa: BLE001 - best effort: the sweep removes what is left
        log.warning("discard_failed", error=type(exc).__name__)


async def upload(
    reference: str, body: AsyncIterable[bytes], *, actor: Principal, if_match: str | None, filename: str | None,
    personal_data: bool, target: Target, content_length: int | None, settings: Settings,
) -> tuple[AttachmentRead, str]:
    if not if_match:
        raise core.precondition_required()
    name = clean_filename(filename)
    async with connection() as conn:  # refuse early what would be refused at the end
        case = await core.case_by_reference(conn, reference, actor)
        if if_match.strip().removeprefix("W/") != core.etag(case["id"], case["version"]):
            raise Problem(412, "precondition-failed", "Precondition failed",
                          "the case changed since you read it; reload and retry",
                          etag=core.etag(case["id"], case["version"]))
        await _target_ids(conn, case, target)
        used = await _case_total(conn, case["id"])
    if content_length is not None and content_length > settings.attachment_max_bytes:
        raise too_large("one file", settings.attachment_max_bytes)
    if used + (content_length or 1) > settings.case_files_max_bytes:
        raise too_large("all of one case's files together", settings.case_files_max_bytes)
    stored = await store_stream(body, max_bytes=settings.attachment_max_bytes)
    try:
        async with transaction():
            async with connection() as conn:
                case = await core.lock_case(conn, reference, actor, if_match)
                if await _case_total(conn, case["id"]) + stored.size > settings.case_files_max_bytes:
                    raise too_large("all of one case's files together", settings.case_files_max_bytes)
                proceeding_id = await _target_ids(conn, case, target)
                attachment_id = await insert(conn, case, stored, name=name, personal_data=personal_data,
                                             proceeding_id=proceeding_id, target=target, actor=actor)
                etag = await core.sync_case(conn, case["id"], case["current_proceeding_id"])
                answer = await attachment(conn, case, attachment_id)
    except BaseException:
        await discard(stored.key)
        raise
    return answer, etag


async def insert(conn: Any, case: dict[str, Any], stored: Stored, *, name: str, personal_data: bool,
                 proceeding_id: int | None, target: Target, actor: Principal | None,
                 purpose: str = "document") -> int:
    """The attachment row, its pending key claimed and its event, in the caller's transaction."""
    await claim_pending(conn, stored.key)
    attachment_id = await conn.fetchval(
        """INSERT INTO attachment (case_id, proceeding_id, record_kind, record_id, purpose, storage_key, filename,
               content_type, extension, size_bytes, sha256, personal_data, uploaded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id""",
        case["id"], proceeding_id, target.record_kind, target.record_id, purpose, stored.key, name,
        stored.type.mime, stored.type.extension, stored.size, stored.sha256, personal_data,
        actor.id if actor else None)
    # Codes, sizes and the hash only: a file's name may name a person.
    await log_case_event(conn, case_id=case["id"], reference=case["reference"], type="attachment_added", data={
        "attachment_id": attachment_id, "purpose": purpose, "proceeding_id": proceeding_id,
        "record_kind": target.record_kind, "record_id": target.record_id, "content_type": stored.type.mime,
        "size_bytes": stored.size, "sha256": stored.sha256, "personal_data": personal_data,
    }, actor=actor, proceeding_id=proceeding_id or case["current_proceeding_id"], outbox=False)
    return attachment_id


_SELECT = """SELECT a.*, p.seq AS proceeding_seq, u.username AS uploader, c.reference
             FROM attachment a JOIN case_file c ON c.id = a.case_id
             LEFT JOIN proceeding p ON p.id = a.proceeding_id LEFT JOIN app_user u ON u.id = a.uploaded_by"""


def _read(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"], "proceeding_seq": row["proceeding_seq"], "record_kind": row["record_kind"],
        "record_id": row["record_id"], "purpose": row["purpose"], "filename": row["filename"],
        "content_type": row["content_type"], "extension": row["extension"], "size_bytes": row["size_bytes"],
        "sha256": row["sha256"], "personal_data": row["personal_data"], "uploaded_at": row["uploaded_at"],
        "uploaded_by": row["uploader"], "withdrawn": row["withdrawn_at"] is not None,
        "withdrawn_at": row["withdrawn_at"], "withdrawn_reason": row["withdrawn_reason"],
        "download": f"/api/v1/cases/{row['reference']}/attachments/{row['id']}/content",
    }


async def attachments_for_case(conn: Any, case_id: int) -> list[dict[str, Any]]:
    """Every file of the case, oldest first (the case detail's list)."""
    return [_read(r) for r in await conn.fetch(f"{_SELECT} WHERE a.case_id = $1 ORDER BY a.id", case_id)]


async def attachment(conn: Any, case: dict[str, Any], attachment_id: int) -> AttachmentRead:
    row = await conn.fetchrow(f"{_SELECT} WHERE a.id = $1 AND a.case_id = $2", attachment_id, case["id"])
    if row is None:
        raise not_found("attachment")
    return msgspec.convert(_read(row), AttachmentRead)


async def stored_row(conn: Any, case: dict[str, Any], attachment_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM attachment WHERE id = $1 AND case_id = $2", attachment_id, case["id"])
    if row is None:
        raise not_found("attachment")
    return dict(row)


async def list_page(reference: str, actor: Principal, limit: int, cursor: str | None) -> AttachmentPage:
    after = paging.decode(cursor, lambda key: int(key[0])) if cursor else 0
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference, actor)
        rows = await conn.fetch(f"{_SELECT} WHERE a.case_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3",
                                case["id"], after, limit + 1)
    items = [_read(r) for r in rows[:limit]]
    return msgspec.convert(paging.page(items, len(rows), limit, lambda r: (r["id"],)), AttachmentPage)


async def read_one(reference: str, attachment_id: int, actor: Principal) -> AttachmentRead:
    async with connection() as conn:
        case = await core.case_by_reference(conn, reference, actor)
        return await attachment(conn, case, attachment_id)


async def withdraw(reference: str, attachment_id: int, reason: str, *, actor: Principal,
                   if_match: str | None) -> tuple[AttachmentRead, str]:
    """Mark a file withdrawn (it stays stored and listed): who, when, why, in the timeline."""
    reason = reason.strip()
    if not reason or "\x00" in reason:
        raise invalid([{"field": "reason", "message": "say why the file is withdrawn"}])
    async with transaction():
        async with connection() as conn:
            case = await core.lock_case(conn, reference, actor, if_match)
            row = await stored_row(conn, case, attachment_id)
            if row["withdrawn_at"] is not None:
                raise Problem(409, "already-withdrawn", "Conflict", "this file is already withdrawn")
            await conn.execute(
                """UPDATE attachment SET withdrawn_at = casework_now(), withdrawn_by = $2, withdrawn_reason = $3
                   WHERE id = $1""", attachment_id, actor.id, reason)
            await log_case_event(conn, case_id=case["id"], reference=case["reference"], type="attachment_withdrawn",
                                 data={"attachment_id": attachment_id, "reason": reason}, actor=actor,
                                 proceeding_id=row["proceeding_id"] or case["current_proceeding_id"], outbox=False)
            etag = await core.sync_case(conn, case["id"], case["current_proceeding_id"])
            return await attachment(conn, case, attachment_id), etag
