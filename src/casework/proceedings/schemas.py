"""The body of ``POST /api/v1/cases/{reference}/actions/{action}``.

One shape for every action; which fields an action needs is in the
transition table (``transitions.py``) and checked there.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from casework.cases.schemas import Track

Text = Annotated[str, Meta(max_length=2000)]
Short = Annotated[str, Meta(max_length=200)]


class ActionRequest(Struct, forbid_unknown_fields=True):
    reason: Text | None = None
    directed_to: Short | None = None
    # decline: what the party is told (a code of GET /api/v1/reference
    # public_reasons; "other" when omitted), and a note written for the
    # party on purpose. ``reason`` stays internal.
    reason_code: Annotated[str, Meta(max_length=50)] | None = None
    public_note: Annotated[str, Meta(max_length=500)] | None = None
    body_code: Annotated[str, Meta(max_length=64)] | None = None
    assignee: Annotated[str, Meta(max_length=100)] | None = None
    held_on: dt.date | None = None
    location: Short | None = None
    participants: Annotated[list[Short], Meta(max_length=100)] | None = None
    notes: Text | None = None
    clock: Annotated[str, Meta(max_length=100)] | None = None
    days: Annotated[int, Meta(ge=1, le=366)] | None = None
    approver: Short | None = None
    party_informed: bool | None = None
    outcome: Annotated[str, Meta(max_length=50)] | None = None
    opinion: Literal["supported", "partly_supported", "not_supported"] | None = None
    channels_notified: Annotated[list[Annotated[str, Meta(max_length=50)]], Meta(max_length=20)] | None = None
    track: Track | None = None
    procedure: Literal["ordinary", "simplified"] | None = None
    late_justification: Text | None = None
    respond_by: dt.date | None = None
