"""Shapes of attachments, notice documents, templates and numbering."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

RecordKind = Literal["session", "agreement", "judicial_confirmation", "reconsideration_decision", "lawsuit",
                     "arbitration", "legal_aid"]
Reason = Annotated[str, Meta(min_length=1, max_length=2000)]


class AttachmentRead(Struct):
    """A file of the case. Its bytes are at ``download`` (always as a download,
    never shown inline); ``personal_data`` files need ``attachments.read_personal``
    and every download of one is recorded in the case's timeline."""

    id: int
    proceeding_seq: int | None
    record_kind: str | None
    record_id: int | None
    purpose: Literal["document", "notice_document", "service_proof"]
    filename: str
    content_type: str
    extension: str
    size_bytes: int
    sha256: str
    personal_data: bool
    uploaded_at: dt.datetime
    uploaded_by: str | None
    withdrawn: bool
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str | None
    download: str


class AttachmentPage(Struct):
    """One page, oldest first; pass ``next_cursor`` back as ``cursor`` while ``has_more``."""

    items: list[AttachmentRead]
    next_cursor: str | None
    has_more: bool


class Withdrawal(Struct, forbid_unknown_fields=True):
    """Withdraw a file (it stays stored and listed, marked withdrawn): why."""

    reason: Reason


class NoticeDocumentRead(Struct):
    """A notice made from its body's template: its number, the template version
    it used (0: the one shipped with casework) and the stored file."""

    notice_id: int
    kind: str
    document_number: str
    template_version: int
    template_sha256: str
    attachment: AttachmentRead


class TemplateRead(Struct):
    body_code: str
    kind: str
    version: int  # 0: shipped with casework
    sha256: str
    size_bytes: int
    note: str
    uploaded_at: dt.datetime | None
    uploaded_by: str | None
    current: bool


class TemplateList(Struct):
    """Every version of one body's template for one notice kind, newest first."""

    items: list[TemplateRead]


class NumberingRead(Struct):
    """How a body numbers its documents: ``pattern`` with {abbreviation},
    {type_word}, {year} and {seq}; ``type_words`` per notice kind."""

    body_code: str
    abbreviation: str
    pattern: str
    type_words: dict[str, str]
    configured: bool  # false: the shipped defaults (documents/data/numbering.json)
    example: str


class NumberingUpdate(Struct, forbid_unknown_fields=True):
    abbreviation: Annotated[str, Meta(min_length=1, max_length=20)]
    pattern: Annotated[str, Meta(min_length=5, max_length=100)] = "{abbreviation}{type_word}〔{year}〕{seq}号"
    type_words: dict[Annotated[str, Meta(max_length=64)], Annotated[str, Meta(min_length=1, max_length=10)]] = {}
