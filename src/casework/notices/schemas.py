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


class NoticeList(Struct):
    items: list[NoticeRead]
