"""Handing a file back: in scope, with the permission its content needs, and
recorded when it carries personal data.

A file that carries personal data (an ID-card copy, a signed agreement, a
generated notice with addresses) is read only by roles holding
``attachments.read_personal``; each download of one is an
``attachment_downloaded`` event in the case's timeline, committed before
the first byte is sent (like ``personal.service.reveal``). The bytes come
from the store a chunk at a time; the headers make every browser save the
file rather than show it (docs/documents.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import structlog

from casework.access.policy import allowed
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_event
from casework.db import connection, transaction
from casework.documents.attachments import stored_row
from casework.documents.storage import storage
from casework.problems import Problem

log = structlog.get_logger(__name__)

PERSONAL = "attachments.personal.read"


@dataclass
class Download:
    chunks: AsyncIterator[bytes]
    headers: dict[str, str]
    media_type: str


def disposition(filename: str, extension: str) -> str:
    """``attachment`` with an ASCII fallback and the real name in RFC 5987 form."""
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in filename)
    if not fallback.strip("_."):
        fallback = f"file.{extension}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_headers(*, filename: str, extension: str, size: int, sha256: str, private: bool) -> dict[str, str]:
    return {
        "Content-Disposition": disposition(filename, extension),
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "no-store" if private else "private, max-age=0, must-revalidate",
        "ETag": f'"{sha256}"',
    }


async def primed(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The store's stream with its first chunk already read, so a missing
    object fails before the response has started."""
    first = await anext(chunks, b"")

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk

    return rest()


async def open_download(reference: str, attachment_id: int, actor: Principal) -> Download:
    async with transaction():
        async with connection() as conn:
            case = await core.case_by_reference(conn, reference, actor)
            row = await stored_row(conn, case, attachment_id)
            if row["personal_data"]:
                if not allowed(actor.role, PERSONAL):
                    raise Problem(403, "forbidden", "Forbidden",
                                  f"this file carries personal data: role {actor.role} may not {PERSONAL}",
                                  permission=PERSONAL)
                await record_read(conn, case, row, actor)
    try:
        chunks = await primed(storage().get(row["storage_key"]))
    except FileNotFoundError:
        log.error("stored_file_missing", attachment_id=attachment_id)
        raise Problem(503, "file-unavailable", "File unavailable", "the stored file cannot be read now",
                      headers={"Retry-After": "30"}) from None
    return Download(chunks, file_headers(filename=row["filename"], extension=row["extension"],
                                         size=row["size_bytes"], sha256=row["sha256"],
                                         private=row["personal_data"]), row["content_type"])


async def record_read(conn: Any, case: dict[str, Any], row: dict[str, Any], actor: Principal) -> None:
    await log_case_event(conn, case_id=case["id"], reference=case["reference"], type="attachment_downloaded",
                         data={"attachment_id": row["id"], "personal_data": True, "actor": actor.username},
                         actor=actor, proceeding_id=row["proceeding_id"] or case["current_proceeding_id"],
                         outbox=False)
