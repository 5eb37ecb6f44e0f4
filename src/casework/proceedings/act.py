"""One action in progress (``Act``): the locked case, its current
proceeding, who acts, the day the action takes effect, and the events it
writes. The action handlers (``handlers``) work on it; ``service`` makes
one per request."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from casework import timeutil
from casework.access.service import Principal
from casework.deadlines.engine import Journal, Subject, apply_event
from casework.notices import service as notices
from casework.notices.schemas import Served
from casework.problems import Problem


def conflict_state(action: str, track: str, state: str) -> Problem:
    return Problem(409, "invalid-transition", "Action not allowed now",
                   f"{action} is not allowed on a {track} proceeding in state {state}",
                   action=action, track=track, state=state)


def moment(on: dt.date, today: dt.date) -> dt.datetime:
    """The timestamp of a step effective on ``on``: now, or noon of a past day."""
    if on >= today:
        return timeutil.now()
    return dt.datetime.combine(on, dt.time(12), timeutil.CHINA_TZ)


def details_of(proceeding: dict[str, Any]) -> dict[str, Any]:
    raw = proceeding["details"]
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


@dataclass
class Act:
    """One action in progress: the locked case, its current proceeding, who
    acts, the day it takes effect, and the events it writes."""

    conn: Any
    case: dict[str, Any]
    proceeding: dict[str, Any]
    actor: Principal | None
    on: dt.date
    today: dt.date
    journal: Journal = field(default_factory=Journal)
    new_proceeding_id: int | None = None
    new_state: str | None = None

    @property
    def track(self) -> str:
        return self.proceeding["track"]

    def subject(self, proceeding: dict[str, Any] | None = None) -> Subject:
        p = proceeding or self.proceeding
        return Subject(self.case["id"], p["id"], p["track"])

    def add(self, type_: str, data: dict[str, Any], proceeding_id: int | None = None) -> None:
        self.journal.add(type_, data, proceeding_id or self.proceeding["id"])

    async def event(self, name: str, on: dt.date | None = None, proceeding: dict[str, Any] | None = None) -> None:
        await apply_event(self.conn, self.subject(proceeding), name, on or self.on, self.journal)

    async def notice(self, kind: str, *, served: Served | None = None, details: dict[str, Any] | None = None,
                     proceeding: dict[str, Any] | None = None) -> int:
        return await notices.issue(self.conn, self.case, proceeding or self.proceeding, kind, self.on, self.journal,
                                   actor_id=self.actor.id if self.actor else None, details=details, served=served)

    async def set_details(self, details: dict[str, Any]) -> None:
        self.proceeding["details"] = details
        await self.conn.execute("UPDATE proceeding SET details = $2::jsonb WHERE id = $1", self.proceeding["id"],
                                json.dumps(details, default=timeutil.json_default))
