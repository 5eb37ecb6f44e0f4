"""API shapes for cases: what a client sends (Create) and gets back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from casework.proceedings.tracks import track_codes

Kind = Literal["petition", "dispute"]
Channel = Literal[
    "visit", "letter", "phone", "online", "mobile_app", "station", "grid_worker", "referral", "hotline",
]
PetitionType = Literal["suggestion", "accusation", "appeal"]
RiskLevel = Literal["low", "medium", "high", "critical"]
PartyRole = Literal["applicant", "respondent", "third_party", "agent"]
PartyKind = Literal["person", "organization", "agency"]
# The registry's tracks (proceedings/data/tracks.json), as a type for the API.
Track = Literal.__getitem__(track_codes())  # type: ignore[misc]

Name = Annotated[str, Meta(min_length=1, max_length=100)]
ShortText = Annotated[str, Meta(max_length=200)]


class PartyCreate(Struct, forbid_unknown_fields=True):
    role: PartyRole
    kind: PartyKind
    name: Name
    id_number: Annotated[str, Meta(max_length=32)] | None = None
    phone: Annotated[str, Meta(max_length=32)] | None = None
    address: ShortText | None = None


class CaseCreate(Struct, forbid_unknown_fields=True):
    kind: Kind
    channel: Channel
    category: Annotated[str, Meta(min_length=1, max_length=64)]
    summary: Annotated[str, Meta(max_length=200)]
    division_code: Annotated[str, Meta(max_length=12)]
    parties: Annotated[list[PartyCreate], Meta(min_length=1, max_length=100)]
    petition_type: PetitionType | None = None
    description: Annotated[str, Meta(max_length=10000)] = ""
    occurred_on: dt.date | None = None
    received_at: dt.datetime | None = None
    headcount: Annotated[int, Meta(ge=1, le=1_000_000)] = 1
    amount_in_dispute: Decimal | None = None  # yuan; range checked in validate_draft
    act_known_on: dt.date | None = None
    # 行政复议法 arts. 20-21: when the act was done, days an obstacle kept the
    # applicant from applying, whether they were told of the right and the
    # period, and whether it concerns immovable property.
    act_on: dt.date | None = None
    obstacle_days: Annotated[int, Meta(ge=0, le=3660)] = 0
    not_informed_of_right: bool = False
    immovable_property: bool = False
    pending_litigation: bool = False
    risk_level: RiskLevel = "low"
    requested_track: Track | None = None
    override_reason: Annotated[str, Meta(max_length=1000)] | None = None


def request_fingerprint(data: CaseCreate) -> bytes:
    return msgspec.json.encode(data, order="deterministic")
