"""Shapes of notices and their service (送达)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

Short = Annotated[str, Meta(max_length=200)]


class Served(Struct, forbid_unknown_fields=True):
    """How and when a notice reached the party (送达): a party's periods run from ``served_on``."""

    method: Literal["in_person", "post", "electronic", "public_notice"]
    served_on: dt.date
    posted_on: dt.date | None = None  # post: the posting date (the postal receipt)
    tracking_number: Short | None = None
    consent_recorded: bool = False  # electronic service only with the party's consent
    # the proof: an attachment of the case (the signed receipt, the postal return card)
    proof_attachment_id: Annotated[int, Meta(ge=1)] | None = None


class AttemptCreate(Struct, forbid_unknown_fields=True):
    """A try at service that did not (yet) serve: posted and awaiting the
    return card, nobody found, refused, returned undelivered, address
    unknown, no consent to electronic service. The note is staff text."""

    method: Literal["in_person", "post", "electronic", "public_notice"]
    attempted_on: dt.date
    result: Literal["posted", "not_found", "refused", "returned", "address_unknown", "no_consent"]
    posted_on: dt.date | None = None
    tracking_number: Short | None = None
    note: Annotated[str, Meta(max_length=2000)] = ""
    proof_attachment_id: Annotated[int, Meta(ge=1)] | None = None


class ProofCreate(Struct, forbid_unknown_fields=True):
    """The proof of the current service, when it came back after the service was recorded."""

    proof_attachment_id: Annotated[int, Meta(ge=1)]


class AttemptRead(Struct):
    id: int
    method: str
    attempted_on: dt.date
    result: str
    posted_on: dt.date | None
    tracking_number: str | None
    note: str
    proof_attachment_id: int | None
    recorded_at: str


class ServiceCorrection(Struct, forbid_unknown_fields=True):
    """A corrected service: the new facts and why (the old row stays on record)."""

    method: Literal["in_person", "post", "electronic", "public_notice"]
    served_on: dt.date
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    posted_on: dt.date | None = None
    tracking_number: Short | None = None
    consent_recorded: bool = False

    def served(self) -> Served:
        return Served(method=self.method, served_on=self.served_on, posted_on=self.posted_on,
                      tracking_number=self.tracking_number, consent_recorded=self.consent_recorded)


class ServiceRead(Struct):
    id: int
    method: str
    served_on: dt.date
    posted_on: dt.date | None
    tracking_number: str | None
    supersedes: int | None
    reason: str | None
    recorded_at: str
    proof_attachment_id: int | None = None


class NoticeRead(Struct):
    id: int
    kind: str
    name_zh: str | None
    name_en: str | None
    issued_on: dt.date
    proceeding_seq: int
    record_kind: str | None
    record_id: int | None
    details: dict
    served: bool
    service: ServiceRead | None
    service_history: list[ServiceRead]
    # tries at service that did not serve, oldest first
    attempts: list[AttemptRead] = []
    # the document made from the body's template (documents.generate), once made
    document_number: str | None = None
    document_attachment_id: int | None = None
    template_version: int | None = None


class NoticeList(Struct):
    items: list[NoticeRead]


class ToServeItem(Struct):
    """A notice issued and not yet served on its party."""

    reference: str
    notice_id: int
    kind: str
    name_zh: str | None
    issued_on: dt.date
    days_waiting: int
    attempts: int
    last_attempt: str | None
    document_number: str | None
    body_id: int | None
    division_code: str


class ToServePage(Struct):
    """Oldest first; pass ``next_cursor`` back as ``cursor`` while ``has_more``."""

    items: list[ToServeItem]
    next_cursor: str | None
    has_more: bool
