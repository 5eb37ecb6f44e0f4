"""Shapes of the personal-data route: what is asked, and the identifiers shown."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct


class RevealRequest(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    parties: Annotated[list[Annotated[int, Meta(ge=1, le=10000)]], Meta(max_length=200)] | None = None
    fields: Annotated[list[Literal["id_number", "phone", "address"]], Meta(max_length=3)] | None = None


class RevealedParty(Struct):
    """A party with the asked fields in clear, the others masked as the case
    shows them (``address``: "***" when there is one); null where the
    party has none."""

    position: int
    role: str
    kind: str
    name: str
    id_number: str | None
    phone: str | None
    address: str | None


class RevealedPersonalData(Struct):
    """The parties asked for; ``event_id`` is the case event recording the read."""

    reference: str
    parties: list[RevealedParty]
    event_id: int
