"""The sync feed's answer: each changed case as the case list shows it, with
its version, assignee, times and its files as metadata."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

from casework.cases.schemas import CaseListItem


class SyncFile(Struct):
    """A file on the case, described; its bytes are fetched separately."""

    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    personal_data: bool
    purpose: str
    uploaded_at: dt.datetime
    withdrawn: bool


class SyncCase(CaseListItem):
    assignee_id: int | None
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    files: list[SyncFile]


class SyncPage(Struct):
    """Cases changed since ``since``; ``gone`` names cases that left the
    caller's scope. Pass ``next_cursor`` back as ``since``; it is always
    set (the feed never ends), ``has_more`` says whether to ask at once."""

    items: list[SyncCase]
    gone: list[str]
    next_cursor: str
    has_more: bool
