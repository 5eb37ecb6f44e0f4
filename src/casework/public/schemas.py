"""What a party sends to file online, and the receipt they get back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

# An online application's body: its text fields at their longest, in UTF-8, and the solved challenge.
APPLICATION_MAX_BYTES = 32 * 1024

Text200 = Annotated[str, Meta(min_length=1, max_length=200)]


class Applicant(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    phone: Annotated[str, Meta(min_length=1, max_length=32)]
    id_number: Annotated[str, Meta(max_length=32)] | None = None
    address: Annotated[str, Meta(max_length=200)] | None = None


class Respondent(Struct, forbid_unknown_fields=True):
    """The other side, if there is one (a neighbour, a company, an agency)."""

    kind: Literal["person", "organization", "agency"]
    name: Annotated[str, Meta(min_length=1, max_length=100)]


class ApplicationCreate(Struct, forbid_unknown_fields=True):
    """A petition (信访) or a dispute (矛盾纠纷) filed online by the applicant.

    ``division_code``: the 12-digit division (village or community) where the
    matter arose; it decides the station or body that registers it.
    ``sms_consent``: the applicant agrees to be told of the case's steps by
    SMS. ``altcha``: the solved proof-of-work challenge
    (``GET /api/v1/public/challenge``), base64 JSON as the ALTCHA widget sends it.
    """

    kind: Literal["petition", "dispute"]
    category: Annotated[str, Meta(min_length=1, max_length=64)]
    division_code: Annotated[str, Meta(min_length=1, max_length=12)]
    summary: Text200
    description: Annotated[str, Meta(min_length=1, max_length=5000)]
    applicant: Applicant
    respondent: Respondent | None = None
    petition_type: Literal["suggestion", "accusation", "appeal"] | None = None
    occurred_on: dt.date | None = None
    headcount: Annotated[int, Meta(ge=1, le=10_000)] = 1
    sms_consent: bool = False
    altcha: Annotated[str, Meta(max_length=4000)] | None = None


class ReceivingBody(Struct):
    name_zh: str | None
    name_en: str | None


class ApplicationReceipt(Struct):
    """The answer to an online filing: keep the reference and the receipt
    code; with them ``POST /api/v1/public/lookup`` shows how the case stands.
    The receipt code is shown this once and stored only as a keyed hash."""

    reference: str
    receipt_code: str
    state: str
    state_zh: str
    submitted_at: dt.datetime
    receiving_body: ReceivingBody | None
    message_zh: str


class Challenge(Struct):
    """An ALTCHA proof-of-work challenge (the widget's ``challengeurl`` answer):
    find ``number`` ≤ ``maxnumber`` with SHA-256(salt + number) = challenge,
    and send back base64 JSON {algorithm, challenge, number, salt, signature}."""

    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str


class Place(Struct):
    """A village or community an application may be filed for, with the
    names above it (county, township) for the form's list."""

    code: str
    name_zh: str
    path_zh: str


class PlaceList(Struct):
    items: list[Place]
