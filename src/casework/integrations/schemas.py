"""The inbound events route's answer."""

from __future__ import annotations

from msgspec import UNSET, Struct, UnsetType


class InboundApplied(Struct, omit_defaults=True):
    """What an event changed. ``litigation.updated``: the lawsuits (one per
    jurisdiction that linked the suit), the fields changed and the hearings
    added; ``legal_aid.*``: the legal-aid records, with ``unchanged`` when
    every record already had it. The single ``lawsuit_id`` / ``hearing_id`` /
    ``legal_aid_id`` are the first record's, kept for one version beside the
    lists (docs/records.md)."""

    lawsuit_id: int | UnsetType = UNSET
    lawsuit_ids: list[int] | UnsetType = UNSET
    changed: list[str] | UnsetType = UNSET
    hearing_id: int | None | UnsetType = UNSET
    hearing_ids: list[int] | UnsetType = UNSET
    legal_aid_id: int | UnsetType = UNSET
    legal_aid_ids: list[int] | UnsetType = UNSET
    unchanged: bool | UnsetType = UNSET
    decision: str | UnsetType = UNSET
    assigned_on: str | UnsetType = UNSET


class InboundResult(Struct, omit_defaults=True):
    """``duplicate``: this event_id was received before and is not applied
    again (then ``applied`` is absent)."""

    event_id: str
    duplicate: bool
    applied: InboundApplied | UnsetType = UNSET
