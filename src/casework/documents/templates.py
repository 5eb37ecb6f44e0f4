"""Notice templates: the one shipped per kind (version 0, in
``documents/templates/``) and the versions a body's administrator uploads
over it. An upload is a new version; the older ones stay, and every
generated document records the version and hash it was made from.

An uploaded template must be a DOCX whose tags name only the values a
notice is filled with (``VARIABLES``): a misspelt tag is refused (422
naming it) rather than printed empty on a notice a party relies on.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import msgspec

from casework.access.service import Principal
from casework.admin_log import record_admin_change
from casework.db import connection, transaction
from casework.documents import numbering
from casework.documents.attachments import claim_pending, discard, store_stream
from casework.documents.schemas import NumberingRead, NumberingUpdate, TemplateList, TemplateRead
from casework.documents.storage import storage
from casework.notices.service import kinds
from casework.problems import Problem, invalid, not_found

TEMPLATE_MAX_BYTES = 5 * 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Every value documents.generate fills a template with.
VARIABLES = frozenset({
    "body_name", "body_code", "title", "kind", "number", "year", "issued_on", "reference", "track_zh",
    "addressee_name", "addressee_address", "parties", "matter", "opinion", "reason", "terms", "channels",
    "extension_days", "received_on", "party_windows", "body_clocks", "legal_basis", "details",
})


@dataclass(frozen=True)
class Template:
    version: int
    sha256: str
    blob: bytes


def generated_kind(kind: str) -> dict[str, Any]:
    found = kinds().get(kind)
    if found is None:
        raise not_found("notice kind")
    if not found.get("generated", True):
        raise Problem(409, "not-generated", "Conflict",
                      f"a {found['name_en']} is the court's own document: record it and attach the court's file")
    return found


def shipped(kind: str) -> bytes:
    return resources.files("casework.documents").joinpath(f"templates/{kind}.docx").read_bytes()


async def body_by_code(conn: Any, code: str) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM body WHERE code = $1", code)
    if row is None:
        raise not_found("body")
    return dict(row)


async def _bytes(key: str) -> bytes:
    return b"".join([chunk async for chunk in storage().get(key)])


async def current(conn: Any, body_id: int, kind: str) -> Template:
    """The body's newest uploaded version, else the shipped one."""
    row = await conn.fetchrow("""SELECT version, sha256, storage_key FROM notice_template
                                 WHERE body_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1""", body_id, kind)
    if row is None:
        blob = shipped(kind)
        return Template(0, hashlib.sha256(blob).hexdigest(), blob)
    return Template(row["version"], row["sha256"], await _bytes(row["storage_key"]))


def check_tags(blob: bytes) -> None:
    # python-docx and lxml: loaded when a template is checked, not by every worker
    from docxtpl import DocxTemplate

    try:
        tags = DocxTemplate(io.BytesIO(blob)).get_undeclared_template_variables()
    except Exception as exc:  # noqa: BLE001 - docxtpl/jinja2 raise many kinds for a broken template
        raise invalid([{"field": "body", "message": f"the template cannot be read: {type(exc).__name__}"}]) from None
    unknown = sorted(set(tags) - VARIABLES)
    if unknown:
        raise invalid([{"field": "body", "message": f"unknown tag {{{{ {name} }}}}"} for name in unknown],
                      detail=f"the template uses tags casework does not fill: {', '.join(unknown)}")


async def upload(body_code: str, kind: str, chunks: AsyncIterable[bytes], *, note: str,
                 actor: Principal) -> TemplateRead:
    generated_kind(kind)
    async with connection() as conn:
        body = await body_by_code(conn, body_code)
    stored = await store_stream(chunks, max_bytes=TEMPLATE_MAX_BYTES, kind="templates")
    try:
        if stored.type.mime != DOCX:
            raise Problem(415, "unsupported-media-type", "Unsupported file type", "a template is a DOCX file")
        check_tags(await _bytes(stored.key))  # at most 5 MiB
        async with transaction():
            async with connection() as conn:
                await claim_pending(conn, stored.key)
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('notice_template'), $1)", body["id"])
                version = await conn.fetchval(
                    """INSERT INTO notice_template (body_id, kind, version, storage_key, sha256, size_bytes, note,
                           uploaded_by)
                       SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6, $7
                       FROM notice_template WHERE body_id = $1 AND kind = $2 RETURNING version""",
                    body["id"], kind, stored.key, stored.sha256, stored.size, note, actor.id)
                await record_admin_change(conn, actor=actor, entity="notice_template", key=f"{body_code}/{kind}",
                                          before=None, after={"body": body_code, "division_code": body["division_code"],
                                                              "kind": kind, "version": version,
                                                              "sha256": stored.sha256, "note": note})
    except BaseException:
        await discard(stored.key)
        raise
    return next(t for t in (await versions(body_code, kind)).items if t.version == version)


async def versions(body_code: str, kind: str) -> TemplateList:
    generated_kind(kind)
    async with connection() as conn:
        body = await body_by_code(conn, body_code)
        rows = await conn.fetch(
            """SELECT t.version, t.sha256, t.size_bytes, t.note, t.uploaded_at, u.username FROM notice_template t
               LEFT JOIN app_user u ON u.id = t.uploaded_by WHERE t.body_id = $1 AND t.kind = $2
               ORDER BY t.version DESC""", body["id"], kind)
    blob = shipped(kind)
    items = [{"body_code": body_code, "kind": kind, "version": r["version"], "sha256": r["sha256"],
              "size_bytes": r["size_bytes"], "note": r["note"], "uploaded_at": r["uploaded_at"],
              "uploaded_by": r["username"], "current": i == 0} for i, r in enumerate(rows)]
    items.append({"body_code": body_code, "kind": kind, "version": 0, "sha256": hashlib.sha256(blob).hexdigest(),
                  "size_bytes": len(blob), "note": "shipped with casework", "uploaded_at": None,
                  "uploaded_by": None, "current": not rows})
    return msgspec.convert({"items": items}, TemplateList)


async def version_bytes(body_code: str, kind: str, version: int) -> bytes:
    generated_kind(kind)
    if version == 0:
        return shipped(kind)
    async with connection() as conn:
        body = await body_by_code(conn, body_code)
        key = await conn.fetchval("SELECT storage_key FROM notice_template WHERE body_id = $1 AND kind = $2 "
                                  "AND version = $3", body["id"], kind, version)
    if key is None:
        raise not_found("template version")
    return await _bytes(key)


# ---------------------------------------------------------------- numbering

def _numbering_read(found: numbering.Numbering) -> NumberingRead:
    words = {**numbering.defaults()["type_words"], **found.type_words}
    return NumberingRead(body_code=found.body_code, abbreviation=found.abbreviation, pattern=found.pattern,
                         type_words=words, configured=found.configured,
                         example=found.format("review_opinion", 2026, 12))


async def numbering_of(code: str) -> NumberingRead:
    async with connection() as conn:
        body = await body_by_code(conn, code)
        return _numbering_read(await numbering.numbering_for(conn, body))


async def set_numbering(code: str, data: NumberingUpdate, actor: Principal) -> NumberingRead:
    """Set how the body numbers its documents; the change is audited with the body's division."""
    async with transaction():
        async with connection() as conn:
            body = await body_by_code(conn, code)
            before = await numbering.numbering_for(conn, body)
            await numbering.set_numbering(conn, body, abbreviation=data.abbreviation, pattern=data.pattern,
                                          type_words=data.type_words, actor_id=actor.id)
            after = await numbering.numbering_for(conn, body)
            await record_admin_change(
                conn, actor=actor, entity="document_numbering", key=code,
                before={**msgspec.structs.asdict(_numbering_read(before)), "division_code": body["division_code"]},
                after={**msgspec.structs.asdict(_numbering_read(after)), "division_code": body["division_code"]},
                action="update")
            return _numbering_read(after)
