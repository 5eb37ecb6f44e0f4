"""Judicial mediation as courts run it: an agreement from a court-referred
pre-filing mediation (委派调解 / 诉前调解, numbered 民诉前调) may be judicially
confirmed; a mediation in litigation ends in the court's own mediation
document and may not. Dates hand-computed (2026 holidays from
chinese-calendar: none in November)."""

from __future__ import annotations

from tests.records.support import clocks_by_limit, write
from tests.support import act, dispute, on
from tests.support_access import ensure_user

COURT = "长治市潞州区人民法院"


async def _judicial_mediation(users, received: str) -> tuple[dict, object]:
    """A dispute the court referred to mediation before filing, received on
    ``received`` and accepted by the court's mediator that day."""
    mediator = await ensure_user(users, "court_mediator", "mediator", "140403", "140403-COURT")
    with on(received):
        created = await users["officer"].post("/api/v1/cases", json=dispute(
            requested_track="judicial_mediation", override_reason="法院委派诉前调解",
            received_at=f"{received}T09:00:00+08:00", occurred_on="2026-10-20"))
        assert created.status_code == 201, created.text
        case = created.json()
        assert case["track"] == "judicial_mediation", case
        accepted = await act(mediator, case["reference"], "accept")
        assert accepted.status_code == 200, accepted.text
    return case, mediator


async def test_a_court_referred_pre_filing_agreement_is_judicially_confirmed_at_the_referring_court(users):
    """Agreement signed Tuesday 2026-11-10 in a pre-filing mediation numbered
    （2026）晋0403民诉前调12号: the parties' 30 days to apply together end
    Thursday 12-10 (Civil Procedure Law art. 205). Applied 11-16: the court
    has 3 days to accept, to 11-19; accepted 11-18, it has 15 days to rule,
    to 12-03; it rules on 11-27."""
    case, mediator = await _judicial_mediation(users, "2026-11-02")
    ref = case["reference"]
    with on("2026-11-10"):
        recorded = await write(mediator, ref, "agreements", {
            "terms": "被申请人于2026年12月31日前支付货款三万元", "signed_on": "2026-11-10",
            "mediation_number": "（2026）晋0403民诉前调12号"})
        assert recorded.status_code == 201, recorded.text
    agreement = recorded.json()
    assert (agreement["track"], agreement["pre_filing"], agreement["confirmable"]) == (
        "judicial_mediation", True, True)
    # Stored as given, shown as printed.
    assert agreement["mediation_number"] == "（2026）晋0403民诉前调12号"
    window = clocks_by_limit(agreement)["judicial_confirmation.apply"]
    assert (window["whose"], window["started_on"], window["due_on"]) == ("party", "2026-11-10", "2026-12-10")

    with on("2026-11-16"):
        applied = await write(mediator, ref, "judicial-confirmations", {
            "agreement_id": agreement["id"], "court": COURT, "applied_on": "2026-11-16"})
        assert applied.status_code == 201, applied.text
    confirmation = applied.json()
    court = clocks_by_limit(confirmation)["judicial_confirmation.accept"]
    assert (court["whose"], court["due_on"]) == ("court", "2026-11-19")
    with on("2026-11-18"):
        accepted = await write(mediator, ref, f"judicial-confirmations/{confirmation['id']}/acceptance",
                               {"accepted_on": "2026-11-18"})
        assert accepted.status_code == 200, accepted.text
    assert clocks_by_limit(accepted.json())["judicial_confirmation.ruling"]["due_on"] == "2026-12-03"
    with on("2026-11-27"):
        ruled = await write(mediator, ref, f"judicial-confirmations/{confirmation['id']}/ruling", {
            "ruling_number": "（2026）晋0403民特88号", "ruled_on": "2026-11-27", "result": "confirmed"})
        assert ruled.status_code == 200, ruled.text
        now = (await mediator.get(f"/api/v1/cases/{ref}/agreements/{agreement['id']}")).json()
    assert clocks_by_limit(ruled.json())["judicial_confirmation.ruling"]["status"] == "met"
    assert clocks_by_limit(now)["judicial_confirmation.apply"]["status"] == "met"
    events = (await mediator.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    recorded_event = next(e for e in events if e["type"] == "agreement_recorded")
    assert (recorded_event["data"]["pre_filing"], recorded_event["data"]["mediation_number"],
            recorded_event["data"]["confirmable"]) == (True, "(2026)晋0403民诉前调12号", True)
    assert "terms" not in recorded_event["data"]


async def test_a_mediation_in_litigation_ends_in_the_courts_own_document_and_is_not_confirmed(users):
    """Agreement of 2026-11-10 reached in a suit (（2026）晋0403民初77号): no
    window opens, and an application for confirmation is refused."""
    case, mediator = await _judicial_mediation(users, "2026-11-02")
    ref = case["reference"]
    with on("2026-11-10"):
        contradicting = await write(mediator, ref, "agreements", {
            "terms": "原告撤诉，被告当庭支付", "signed_on": "2026-11-10", "pre_filing": True,
            "mediation_number": "(2026)晋0403民初77号"})
        assert contradicting.status_code == 422, contradicting.text
        assert contradicting.json()["errors"][0]["field"] == "pre_filing"
        recorded = await write(mediator, ref, "agreements", {
            "terms": "原告撤诉，被告当庭支付", "signed_on": "2026-11-10",
            "mediation_number": "(2026)晋0403民初77号"})
        assert recorded.status_code == 201, recorded.text
    agreement = recorded.json()
    assert (agreement["pre_filing"], agreement["confirmable"], agreement["clocks"]) == (False, False, [])
    with on("2026-11-16"):
        refused = await write(mediator, ref, "judicial-confirmations", {
            "agreement_id": agreement["id"], "court": COURT, "applied_on": "2026-11-16"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("not-confirmable")


async def test_a_judicial_mediation_agreement_that_does_not_say_which_stays_unconfirmable(users):
    """As before this version: a judicial mediation's agreement with neither
    the flag nor a number opens no window; the flag alone is enough."""
    case, mediator = await _judicial_mediation(users, "2026-11-02")
    with on("2026-11-10"):
        recorded = await write(mediator, case["reference"], "agreements",
                               {"terms": "赔偿二千元", "signed_on": "2026-11-10"})
        assert recorded.status_code == 201, recorded.text
    assert (recorded.json()["pre_filing"], recorded.json()["confirmable"]) == (None, False)

    other, mediator = await _judicial_mediation(users, "2026-11-02")
    with on("2026-11-10"):
        flagged = await write(mediator, other["reference"], "agreements",
                              {"terms": "赔偿二千元", "signed_on": "2026-11-10", "pre_filing": True})
        assert flagged.status_code == 201, flagged.text
    assert clocks_by_limit(flagged.json())["judicial_confirmation.apply"]["due_on"] == "2026-12-10"


async def test_only_a_judicial_mediation_says_whether_it_was_pre_filing(users):
    mediator = users["village_mediator"]
    with on("2026-11-02"):
        case = (await users["clerk"].post("/api/v1/cases", json=dispute(
            received_at="2026-11-02T09:00:00+08:00"))).json()
        assert case["track"] == "people_mediation"
        await act(mediator, case["reference"], "accept")
    with on("2026-11-10"):
        refused = await write(mediator, case["reference"], "agreements",
                              {"terms": "x", "signed_on": "2026-11-10", "pre_filing": True})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "pre_filing"
