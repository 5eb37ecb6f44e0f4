"""Load generation and after-the-fact checks shared by the reliability checks.

Clients are ``httpx.AsyncClient`` on 127.0.0.1 with a bounded timeout; every
answer (or the lack of one) is kept as an ``Outcome`` so each check can state
its figures and what it lost.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from casework import timeutil
from tests.support import dispute

CLIENT_TIMEOUT = 10.0  # seconds: a request unanswered by then counts as a hang


@dataclass
class Outcome:
    op: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer (timeout or connection error)
    error: str | None = None
    content_type: str = ""
    retry_after: str | None = None
    body: Any = None


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    transport_retries: int = 0

    async def call(self, client: httpx.AsyncClient, op: str, method: str, url: str, **kwargs) -> Outcome:
        started = time.monotonic()
        try:
            try:
                response = await client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                # A connection the server closed as it was reused (the
                # keep-alive race): a careful client retries an idempotent
                # GET once (RFC 9110, 9.2.2); writes are not retried here.
                if method != "GET" or isinstance(exc, httpx.TimeoutException):
                    raise
                self.transport_retries += 1
                response = await client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            outcome = Outcome(op, started, time.monotonic(), None, f"timeout:{type(exc).__name__}")
        except httpx.TransportError as exc:
            outcome = Outcome(op, started, time.monotonic(), None, f"transport:{type(exc).__name__}")
        else:
            try:
                body = response.json()
            except ValueError:
                body = response.text[:500]
            outcome = Outcome(op, started, time.monotonic(), response.status_code, None,
                              response.headers.get("content-type", ""), response.headers.get("retry-after"), body)
            outcome.etag = response.headers.get("etag")  # type: ignore[attr-defined]
        self.outcomes.append(outcome)
        return outcome

    # figures
    def statuses(self) -> Counter:
        return Counter(o.status if o.status is not None else o.error.split(":")[0] for o in self.outcomes)

    def count(self, predicate) -> int:
        return sum(1 for o in self.outcomes if predicate(o))

    def ok(self) -> int:
        return self.count(lambda o: o.status is not None and 200 <= o.status < 300)

    def server_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and o.status >= 500 and o.status != 503]

    def hangs(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error and o.error.startswith("timeout")]

    def bad_503s(self) -> list[Outcome]:
        """503s that are not problem+json or carry no Retry-After."""
        return [o for o in self.outcomes if o.status == 503
                and (not o.content_type.startswith("application/problem+json") or not o.retry_after)]

    def max_seconds(self) -> float:
        return round(max((o.ended - o.started for o in self.outcomes), default=0.0), 2)


def client(base_url: str, token: str | None = None, **kwargs) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=CLIENT_TIMEOUT, **kwargs)


def today() -> str:
    return timeutil.today().isoformat()


def draft(summary: str) -> dict[str, Any]:
    """A neighbour dispute in a Luzhou village: routed to people's mediation, with a clock."""
    return dispute(summary=summary)


async def check_cases_complete(conn) -> dict[str, int]:
    """Every case in the database whole: parties, a current proceeding, a clock,
    its intake events, one outbox row per event; the event log agrees with the
    case's version and its mediation sessions."""
    problems: dict[str, int] = {}

    async def count(name: str, sql: str) -> None:
        problems[name] = await conn.fetchval(sql)

    await count("cases", "SELECT count(*) FROM case_file")
    await count("without_parties", "SELECT count(*) FROM case_file c WHERE NOT EXISTS "
                "(SELECT 1 FROM party p WHERE p.case_id = c.id AND p.role = 'applicant')")
    await count("without_current_proceeding", "SELECT count(*) FROM case_file c WHERE current_proceeding_id IS NULL "
                "OR NOT EXISTS (SELECT 1 FROM proceeding p WHERE p.id = c.current_proceeding_id AND p.case_id = c.id)")
    await count("without_clock", "SELECT count(*) FROM case_file c WHERE c.track <> 'triage' AND NOT EXISTS "
                "(SELECT 1 FROM clock k WHERE k.case_id = c.id)")
    await count("without_intake_events", "SELECT count(*) FROM case_file c WHERE "
                "(SELECT count(*) FROM case_event e WHERE e.case_id = c.id "
                " AND e.type IN ('case_registered', 'routing_decided')) <> 2")
    await count("events_without_outbox", "SELECT count(*) FROM case_event e WHERE NOT EXISTS "
                "(SELECT 1 FROM outbox o WHERE o.event_id = e.id)")
    await count("outbox_without_event", "SELECT count(*) FROM outbox o WHERE NOT EXISTS "
                "(SELECT 1 FROM case_event e WHERE e.id = o.event_id)")
    # version = 1 (intake) + one per action; each action here writes exactly
    # one of these events (accept -> accepted, record_session -> session_recorded,
    # assign -> assigned, which the demo data uses).
    await count("version_disagrees_with_events", """SELECT count(*) FROM case_file c WHERE c.version <> 1 +
                (SELECT count(*) FROM case_event e WHERE e.case_id = c.id AND e.type IN ('accepted', 'session_recorded', 'assigned'))""")
    await count("sessions_disagree_with_events", """SELECT count(*) FROM case_file c WHERE
                (SELECT count(*) FROM mediation_session s WHERE s.case_id = c.id) <>
                (SELECT count(*) FROM case_event e WHERE e.case_id = c.id AND e.type = 'session_recorded')""")
    await count("idempotency_claims_without_case", "SELECT count(*) FROM idempotency_record WHERE case_id IS NULL")
    return problems


class Workers:
    """Clients that register cases (each with an Idempotency-Key whose number is
    in the summary) and act on their own cases (accept, then record sessions).

    A refused or unanswered intake is retried later with the same key and
    body, as a careful client would."""

    def __init__(self, base_url: str, clerk_token: str, mediator_token: str, tally: Tally, prefix: str) -> None:
        self.base_url = base_url
        self.clerk_token = clerk_token
        self.mediator_token = mediator_token
        self.tally = tally
        self.prefix = prefix
        self.drafts: dict[str, dict[str, Any]] = {}  # key -> body
        self.acknowledged: dict[str, str] = {}  # key -> reference
        self.pending: dict[int, list[str]] = {}  # owner -> keys not yet acknowledged
        self.cases: dict[str, dict[str, Any]] = {}  # reference -> {"state", "owner"}
        self.conflicting_replays = 0  # one key answered with two references
        self.acknowledged_actions: list[tuple[str, str, int]] = []  # (reference, action, version)

    async def intake(self, clerk: httpx.AsyncClient, key: str, owner: int) -> None:
        outcome = await self.tally.call(clerk, "intake", "POST", "/api/v1/cases", json=self.drafts[key],
                                        headers={"Idempotency-Key": key})
        pending = self.pending.setdefault(owner, [])
        if outcome.status in (200, 201):
            reference = outcome.body["reference"]
            if key in self.acknowledged and self.acknowledged[key] != reference:
                self.conflicting_replays += 1
            self.acknowledged[key] = reference
            self.cases.setdefault(reference, {"state": outcome.body["stage"], "owner": owner})
            if key in pending:
                pending.remove(key)
        elif key not in pending:
            pending.append(key)

    async def act(self, mediator: httpx.AsyncClient, reference: str) -> None:
        case = self.cases[reference]
        read = await self.tally.call(mediator, "read", "GET", f"/api/v1/cases/{reference}")
        if read.status != 200:
            return
        case["state"] = read.body["stage"]
        if case["state"] == "pending_acceptance":
            action, body = "accept", {}
        elif case["state"] == "accepted":
            action, body = "record_session", {"held_on": today(), "location": "村委会"}
        else:
            return
        outcome = await self.tally.call(mediator, action, "POST", f"/api/v1/cases/{reference}/actions/{action}",
                                        json=body, headers={"If-Match": read.etag})
        if outcome.status == 200:
            self.acknowledged_actions.append((reference, action, outcome.body["version"]))
            case["state"] = outcome.body["stage"]

    async def run_one(self, number: int, *, until: asyncio.Event) -> None:
        """One client's loop: new intakes, retries of refused ones, actions on its own cases."""
        async with client(self.base_url, self.clerk_token) as clerk, \
                client(self.base_url, self.mediator_token) as mediator:
            step = 0
            while not until.is_set():
                step += 1
                pending = self.pending.setdefault(number, [])
                mine = [r for r, c in self.cases.items() if c["owner"] == number]
                if pending and step % 3 == 0:
                    await self.intake(clerk, pending[0], number)
                elif mine and step % 2 == 0:
                    await self.act(mediator, mine[step % len(mine)])
                else:
                    key = f"{self.prefix}-w{number}-{step}"
                    self.drafts[key] = draft(f"{self.prefix} {key}")
                    await self.intake(clerk, key, number)
                await asyncio.sleep(0.01)

    async def retry_pending(self) -> None:
        """After the fault: every unacknowledged intake retried with its key."""
        async with client(self.base_url, self.clerk_token) as clerk:
            for owner, keys in self.pending.items():
                for key in list(keys):
                    await self.intake(clerk, key, owner)

    def unacknowledged(self) -> int:
        return sum(len(keys) for keys in self.pending.values())

    async def check_acknowledged(self, conn) -> dict[str, int]:
        """Everything acknowledged is there, once."""
        lost = {"intakes_lost": 0, "duplicate_cases": 0, "actions_lost": 0,
                "conflicting_replays": self.conflicting_replays}
        rows = await conn.fetch("SELECT summary, count(*) AS n, min(reference) AS reference FROM case_file "
                                "WHERE summary LIKE $1 GROUP BY summary", f"{self.prefix} %")
        by_summary = {r["summary"]: r for r in rows}
        for key, reference in self.acknowledged.items():
            row = by_summary.get(f"{self.prefix} {key}")
            if row is None or row["reference"] != reference:
                lost["intakes_lost"] += 1
        lost["duplicate_cases"] = sum(1 for r in rows if r["n"] > 1)
        for reference, action, version in self.acknowledged_actions:
            event_type = {"accept": "accepted", "record_session": "session_recorded"}[action]
            found = await conn.fetchval(
                """SELECT count(*) FROM case_event e JOIN case_file c ON c.id = e.case_id
                   WHERE c.reference = $1 AND e.type = $2 AND c.version >= $3""",
                reference, event_type, version)
            if not found:
                lost["actions_lost"] += 1
        sessions_acked: dict[str, int] = {}
        for reference, action, _version in self.acknowledged_actions:
            if action == "record_session":
                sessions_acked[reference] = sessions_acked.get(reference, 0) + 1
        for reference, acked in sessions_acked.items():
            stored = await conn.fetchval("""SELECT count(*) FROM mediation_session s JOIN case_file c
                                            ON c.id = s.case_id WHERE c.reference = $1""", reference)
            if stored < acked:
                lost["actions_lost"] += acked - stored
        return lost
