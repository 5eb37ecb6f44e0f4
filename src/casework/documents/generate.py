"""A notice's document, made from its body's template (``templates.current``).

One transaction, with the case locked (If-Match): the body's next number
(``numbering.take_number``, gapless: a rollback gives it back), the
template, the parties' names and addresses (decrypted: a read of personal
data, recorded as a ``personal_data_revealed`` event), the limits the
notice starts for the party (the time-limit data: every limit that starts
on ``served:<kind>``, with its length and source), the body's running
clocks on the proceeding, and the legal basis of the kind
(notices/data/notice_kinds.json). The filled DOCX is stored as an
attachment of the proceeding that carries personal data; the notice
records its number, the attachment and the template version and hash.
A second generation keeps the number and stores a new file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from casework import timeutil
from casework.access.service import Principal
from casework.cases import core
from casework.cases.events import log_case_events
from casework.db import connection, transaction
from casework.deadlines.service import time_limits
from casework.documents import templates
from casework.documents.attachments import Target, attachment, discard, insert, store_stream
from casework.documents.numbering import take_number
from casework.documents.schemas import NoticeDocumentRead
from casework.personal import crypto
from casework.problems import Problem, not_found
from casework.proceedings.tracks import registry
from casework.settings import Settings

UNITS_ZH = {"days": "日", "working_days": "个工作日", "months": "个月", "years": "年"}
ROLES_ZH = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人", "agent": "代理人"}


def zh_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


async def _party_windows(kind: str) -> list[dict[str, Any]]:
    """The party's periods that serving this kind of notice starts (time-limit data)."""
    found = []
    for limit in (await time_limits()).values():
        if f"served:{kind}" in limit.starts_on and limit.whose == "party":
            found.append({"code": limit.code, "step_zh": limit.step_zh, "length": limit.length,
                          "unit_zh": UNITS_ZH.get(limit.unit, limit.unit), "source": limit.source})
    return found


async def _body_clocks(conn: Any, proceeding_id: int) -> list[dict[str, Any]]:
    """The body's periods still running on the proceeding, with their due dates."""
    limits = await time_limits()
    rows = await conn.fetch("""SELECT time_limit_code, started_on, due_on FROM clock WHERE proceeding_id = $1
                               AND state <> 'stopped' ORDER BY due_on, id""", proceeding_id)
    found = []
    for row in rows:
        limit = limits[row["time_limit_code"]]
        if limit.whose == "body":
            found.append({"step_zh": limit.step_zh, "length": limit.length, "unit_zh": UNITS_ZH.get(limit.unit, ""),
                          "source": limit.source, "started_on": zh_date(row["started_on"]),
                          "due_on": zh_date(row["due_on"])})
    return found


async def _parties(conn: Any, case_id: int, position: int | None) -> tuple[list[dict[str, Any]], list[dict]]:
    """Every party with its address in clear, and the ones the notice is addressed to."""
    rows = await conn.fetch("SELECT position, role, name, address_enc FROM party WHERE case_id = $1 ORDER BY position",
                            case_id)
    parties = [{"position": r["position"], "role": r["role"], "role_zh": ROLES_ZH.get(r["role"], r["role"]),
                "name": r["name"], "address": crypto.decrypt(r["address_enc"]) or "",
                "has_address": r["address_enc"] is not None} for r in rows]
    addressed = [p for p in parties if (p["position"] == position if position else p["role"] == "applicant")]
    return parties, addressed or parties[:1]


async def generate(reference: str, notice_id: int, *, actor: Principal, if_match: str | None,
                   settings: Settings) -> tuple[NoticeDocumentRead, str]:
    stored = None
    try:
        async with transaction():
            async with connection() as conn:
                case = await core.lock_case(conn, reference, actor, if_match)
                notice = await conn.fetchrow(
                    """SELECT n.*, p.track, p.body_id FROM notice n JOIN proceeding p ON p.id = n.proceeding_id
                       WHERE n.id = $1 AND n.case_id = $2""", notice_id, case["id"])
                if notice is None:
                    raise not_found("notice")
                kind = templates.generated_kind(notice["kind"])
                if notice["body_id"] is None:
                    raise Problem(409, "no-handling-body", "Conflict", "the notice's proceeding has no handling body")
                body = dict(await conn.fetchrow("SELECT * FROM body WHERE id = $1", notice["body_id"]))
                number = notice["document_number"] or await take_number(conn, body, notice["kind"],
                                                                        notice["issued_on"].year)
                template = await templates.current(conn, body["id"], notice["kind"])
                parties, addressed = await _parties(conn, case["id"], notice["party_position"])
                details = _details(notice["details"])
                context = {
                    "body_name": body["name_zh"], "body_code": body["code"], "title": kind["name_zh"],
                    "kind": notice["kind"], "number": number, "year": notice["issued_on"].year,
                    "issued_on": zh_date(notice["issued_on"]), "reference": case["reference"],
                    "track_zh": registry().track(notice["track"]).label_zh,
                    "addressee_name": "、".join(p["name"] for p in addressed),
                    "addressee_address": "；".join(p["address"] for p in addressed if p["address"]),
                    "parties": parties, "matter": case["summary"], "opinion": details.get("opinion", ""),
                    "reason": details.get("reason", ""), "terms": details.get("terms", ""),
                    "channels": details.get("channels", ""), "extension_days": details.get("extension_days", ""),
                    "received_on": zh_date(timeutil.local_date(case["received_at"])),  # the Beijing day
                    "party_windows": await _party_windows(notice["kind"]),
                    "body_clocks": await _body_clocks(conn, notice["proceeding_id"]),
                    "legal_basis": kind.get("legal_basis", ""), "details": details,
                }
                # python-docx and lxml: loaded by the first notice, not by every worker
                from docxtpl import DocxTemplate

                document = DocxTemplate(io.BytesIO(template.blob))
                document.render(context)
                out = io.BytesIO()
                document.save(out)
                stored = await store_stream(_once(out.getvalue()), max_bytes=settings.attachment_max_bytes)
                attachment_id = await insert(
                    conn, case, stored, name=f"{kind['name_zh']}（{number}）.docx", personal_data=True,
                    proceeding_id=notice["proceeding_id"], target=Target(), actor=actor, purpose="notice_document")
                await conn.execute(
                    """UPDATE notice SET document_number = $2, document_attachment_id = $3, template_version = $4,
                           template_sha256 = $5 WHERE id = $1""",
                    notice_id, number, attachment_id, template.version, template.sha256)
                read = [{"position": p["position"], "role": p["role"], "fields": ["address"]}
                        for p in parties if p["has_address"]]
                await log_case_events(conn, case_id=case["id"], reference=case["reference"], actor=actor, events=[
                    ("notice_document_generated", {"notice_id": notice_id, "kind": notice["kind"],
                                                   "document_number": number, "attachment_id": attachment_id,
                                                   "template_version": template.version,
                                                   "template_sha256": template.sha256}, notice["proceeding_id"]),
                    ("personal_data_revealed", {"parties": read, "reason": f"notice document {number}",
                                                "purpose": "notice_document", "actor": actor.username},
                     notice["proceeding_id"]),
                ], outbox=False)
                etag = await core.sync_case(conn, case["id"], case["current_proceeding_id"])
                made = await attachment(conn, case, attachment_id)
    except BaseException:
        if stored is not None:
            await discard(stored.key)
        raise
    return NoticeDocumentRead(notice_id=notice_id, kind=notice["kind"], document_number=number,
                              template_version=template.version, template_sha256=template.sha256,
                              attachment=made), etag


async def _once(blob: bytes):
    yield blob


def _details(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})
