"""Shapes of the reference routes: divisions, bodies, categories and the
catalogue of codes and words (``GET /api/v1/reference``)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from casework.routing.schemas import BodyKind, RoutedBody

Code12 = Annotated[str, Meta(pattern=r"^[0-9]{12}$")]
Label = Annotated[str, Meta(min_length=1, max_length=200)]


class DivisionWrite(Struct, forbid_unknown_fields=True):
    code: Code12
    name_zh: Label
    level: Annotated[int, Meta(ge=1, le=5)]
    parent_code: Code12 | None = None
    name_en: Annotated[str, Meta(max_length=200)] = ""


class BodyWrite(Struct, forbid_unknown_fields=True):
    name_zh: Label
    kind: BodyKind
    division_code: Code12
    name_en: Annotated[str, Meta(max_length=200)] = ""
    remit: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=50)] = []
    active: bool = True
    # Where a review of this body's opinions goes (kept when omitted).
    superior_code: Annotated[str, Meta(max_length=64)] | None = None


class CategoryWrite(Struct, forbid_unknown_fields=True):
    label_zh: Label
    label_en: Label
    civil: bool = False
    law_related: bool = False
    position: Annotated[int, Meta(ge=0, le=10000)] = 0
    source: Annotated[str, Meta(max_length=500)] = ""


class DivisionRead(Struct):
    """An administrative division; ``prefix`` is the significant part of its
    code (2/4/6/9/12 digits by level) that the divisions under it share."""

    code: str
    name_zh: str
    name_en: str
    level: int
    parent_code: str | None
    prefix: str


class DivisionList(Struct):
    items: list[DivisionRead]


class BodyRead(RoutedBody):
    """A handling body; an empty ``remit`` takes every category."""

    level: int
    remit: list[str]
    active: bool
    superior_code: str | None


class BodyList(Struct):
    items: list[BodyRead]


class CategoryRead(Struct):
    code: str
    label_zh: str
    label_en: str
    civil: bool
    law_related: bool
    position: int
    source: str
    admin_id: int


class Word(Struct):
    """A code and what practitioners call it."""

    code: str
    label_zh: str
    label_en: str




class TrackWords(Word):
    body_kind: str
    outcomes: list[Word]


class StageWords(Word):
    status: str


class BodyKindWords(Word):
    supervised_by: str | None
    above: bool
    source: str


class TimeLimitWords(Struct):
    code: str
    label_zh: str
    label_en: str
    whose: str


class Terms(Struct):
    """The words for every code, in Chinese and English (proceedings/data/tracks.json,
    the time limits, notice kinds and public reasons)."""

    tracks: list[TrackWords]
    stages: list[StageWords]
    statuses: list[Word]
    body_kinds: list[BodyKindWords]
    channels: list[Word]
    kinds: list[Word]
    petition_types: list[Word]
    actions: list[Word]
    time_limits: list[TimeLimitWords]
    notices: list[Word]
    public_reasons: list[Word]


class TimeLimitRead(Struct, frozen=True):
    """A statutory time limit (reference/data/time_limits.json): its length,
    the events that start and stop it, what a lapse means, and its source."""

    code: str
    track: str
    record: str | None
    step_zh: str
    step_en: str
    length: int
    unit: str
    whose: str  # body | party | court
    start_event: str
    starts_on: list[str]
    stops_on: list[str]
    on_lapse: str  # breach | close | deemed_accepted | deemed_withdrawn
    then_starts: list[str]
    pausable: bool
    extendable: bool
    extension_length: int
    extension_unit: str
    extension_approver: str
    party_window: bool
    source: str
    verify: bool
    note: str


class PublicReasonRead(Struct):
    """A standard wording a party is told a matter was not accepted in (decline's ``reason_code``)."""

    code: str
    label_zh: str
    label_en: str
    text_zh: str
    text_en: str
    source: str


class ReferenceData(Struct):
    categories: list[CategoryRead]
    channels: list[str]
    petition_types: list[str]
    risk_levels: list[str]
    tracks: list[str]
    terms: Terms
    roles: list[str]
    time_limits: list[TimeLimitRead]
    public_reasons: list[PublicReasonRead]


