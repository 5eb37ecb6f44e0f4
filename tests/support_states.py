"""Moving a case's proceeding along through the real action API.

(These helpers first stood in for the action API with SQL while it was being
built on another branch; they now drive it.)"""

from __future__ import annotations

import itertools

from casework import timeutil
from tests.support import act

_suits = itertools.count(90000)


def _handler(users, case: dict) -> str:
    return "officer" if case["kind"] == "petition" else "village_mediator"


async def forward_petition(users, case: dict) -> None:
    """registered -> forwarded: the `assigned` event the public sees as "forwarded"."""
    response = await act(users["officer"], case["reference"], "assign", {"body_code": "140403-PB"})
    assert response.status_code == 200, response.text


async def accept(users, case: dict) -> None:
    response = await act(users[_handler(users, case)], case["reference"], "accept")
    assert response.status_code == 200, response.text


async def conclude(users, case: dict, outcome: str = "agreement", **fields) -> None:
    """-> concluded with ``outcome`` (accepting first if needed)."""
    who = users[_handler(users, case)]
    detail = (await who.get(f"/api/v1/cases/{case['reference']}")).json()
    if detail["stage"] != "accepted":
        await accept(users, case)
    if outcome in ("failed", "party_refused"):
        fields.setdefault("channels_notified", ["litigation"])
    response = await act(who, case["reference"], "conclude", {"outcome": outcome, **fields})
    assert response.status_code == 200, response.text


async def escalate_to_concluded_litigation(users, case: dict, outcome: str = "judgment") -> None:
    """A failed mediation goes to court: the party files (a linked lawsuit),
    the court accepts it and gives judgment; the litigation proceeding
    follows the court's record."""

    response = await act(users["village_mediator"], case["reference"], "escalate",
                         {"track": "litigation", "reason": "调解不成，起诉"})
    assert response.status_code == 200, response.text
    today = timeutil.today().isoformat()
    number = f"({timeutil.today().year})晋0403民初{next(_suits)}号"
    clerk = users["clerk"]
    etag = (await clerk.get(f"/api/v1/cases/{case['reference']}")).headers["etag"]
    linked = await clerk.post(f"/api/v1/cases/{case['reference']}/lawsuits", headers={"If-Match": etag}, json={
        "case_number": number, "court": "长治市潞州区人民法院", "case_type": "civil", "filed_on": today})
    assert linked.status_code == 201, linked.text
    suit = linked.json()["id"]
    result = {"judgment": "judgment", "mediation": "mediation", "withdrawal": "withdrawal"}[outcome]
    progress = await clerk.post(f"/api/v1/cases/{case['reference']}/lawsuits/{suit}/progress",
                                headers={"If-Match": linked.headers["etag"]},
                                json={"stage": "first_instance", "result": result, "result_on": today})
    assert progress.status_code == 200, progress.text


async def officer_accept_and_conclude(officer, case: dict, outcome: str) -> None:
    assert (await act(officer, case["reference"], "accept")).status_code == 200
    response = await act(officer, case["reference"], "conclude", {"outcome": outcome})
    assert response.status_code == 200, response.text
