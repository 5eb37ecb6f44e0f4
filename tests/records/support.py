"""Helpers for the record tests: write a record with the case's ETag."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from casework import timeutil
from tests.support import dispute, person

AGENCY = {"role": "respondent", "kind": "agency", "name": "潞州区某街道办事处"}
_serial = itertools.count(random.randrange(1000, 9000) * 100)


def case_number(kind: str = "民初") -> str:
    """A fresh court case number of this year, e.g. (2026)晋0403民初123号."""
    return f"({timeutil.today().year})晋0403{kind}{next(_serial)}号"


def days_ago(n: int) -> str:
    return (timeutil.today() - dt.timedelta(days=n)).isoformat()


async def etag(client, reference: str) -> str:
    return (await client.get(f"/api/v1/cases/{reference}")).headers["etag"]


async def write(client, reference: str, path: str, body: dict, *, if_match: str | None = None):
    """POST to a record route of the case with its current ETag."""
    tag = if_match if if_match is not None else await etag(client, reference)
    return await client.post(f"/api/v1/cases/{reference}/{path}", json=body, headers={"If-Match": tag})


async def new_dispute(client, **overrides) -> dict:
    """A dispute logged as received three weeks ago (its sessions and
    agreements are dated in the past, after it was received)."""
    received = dt.datetime.now(dt.UTC) - dt.timedelta(days=21)
    overrides.setdefault("received_at", received.isoformat())
    response = await client.post("/api/v1/cases", json=dispute(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def agency_reconsideration(users, received: str | None = None) -> dict:
    """A reconsideration against a district agency, received ``received``
    (three weeks ago by default) and accepted by the office the next day."""
    from tests.support import act

    received_at = (dt.datetime.fromisoformat(f"{received}T09:00:00+08:00") if received
                   else dt.datetime.now(dt.UTC) - dt.timedelta(days=21))
    accepted_on = (received_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date() + dt.timedelta(days=1))
    draft = dispute(category="urban_management", summary="占道经营处罚争议", parties=[person(), AGENCY],
                    requested_track="reconsideration", override_reason="申请人申请行政复议",
                    received_at=received_at.isoformat(),
                    occurred_on=(accepted_on - dt.timedelta(days=10)).isoformat())
    case = (await users["officer"].post("/api/v1/cases", json=draft)).json()
    assert case["track"] == "reconsideration", case
    # Accepted the day after it was received (entered today).
    accepted = await act(users["reconsideration"], case["reference"], "accept", {
        "effective_on": accepted_on.isoformat(), "backdate_reason": "受理决定于次日作出，今日录入"})
    assert accepted.status_code == 200, accepted.text
    return {**accepted.json(), "receipt_code": case["receipt_code"]}


def clocks_by_limit(record: dict) -> dict[str, dict]:
    return {c["time_limit"]: c for c in record["clocks"]}
