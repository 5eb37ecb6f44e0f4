"""Case numbers over HTTP: the common type codes are accepted, a number is
stored as given, found by its key and shown with full-width parentheses;
suits recorded before this version keep working."""

from __future__ import annotations

from tests.records.support import write
from tests.support import dispute, on

COURT = "长治市潞州区人民法院"


async def _case(users, day: str) -> dict:
    with on(day):
        created = await users["clerk"].post("/api/v1/cases", json=dispute(received_at=f"{day}T09:00:00+08:00"))
        assert created.status_code == 201, created.text
        return created.json()


async def test_the_common_type_codes_link_suits_of_their_type_shown_as_printed(users):
    """Filed 2026-11-16: an administrative compensation suit (行赔初), a
    payment order (民督) and an enforcement (执)."""
    clerk = users["clerk"]
    case = await _case(users, "2026-11-02")
    ref = case["reference"]
    with on("2026-11-17"):
        for given, case_type, code in (("（2026）晋0403行赔初31号", "administrative", "行赔初"),
                                       ("(2026)晋0403民督32号", "civil", "民督"),
                                       ("（2026） 晋0403执33号", "enforcement", "执")):
            linked = await write(clerk, ref, "lawsuits", {"case_number": given, "court": COURT,
                                                          "case_type": case_type, "filed_on": "2026-11-16"})
            assert linked.status_code == 201, (given, linked.text)
            suit = linked.json()
            assert suit["case_number_as_given"] == given.strip()
            assert suit["case_number"].startswith("（2026）") and suit["case_number_key"].startswith("(2026)")
            assert suit["type_code"] == code and suit["case_type"] == case_type
        wrong_type = await write(clerk, ref, "lawsuits", {"case_number": "（2026）晋0403行赔初34号", "court": COURT,
                                                          "case_type": "civil", "filed_on": "2026-11-16"})
        assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["field"] == "case_type"
        mediation = await write(clerk, ref, "lawsuits", {"case_number": "（2026）晋0403民诉前调35号", "court": COURT,
                                                         "case_type": "civil", "filed_on": "2026-11-16"})
        assert mediation.status_code == 422
        assert "pre-filing mediation" in mediation.json()["errors"][0]["message"]
    events = (await clerk.get(f"/api/v1/cases/{ref}/events")).json()["items"]
    linked_events = [e["data"] for e in events if e["type"] == "litigation_linked"]
    # Events carry the key (what webhook consumers match on) and the type code.
    assert [(d["case_number"], d["type_code"]) for d in linked_events] == [
        ("(2026)晋0403行赔初31号", "行赔初"), ("(2026)晋0403民督32号", "民督"), ("(2026)晋0403执33号", "执")]


async def test_a_suit_recorded_before_numbers_were_kept_as_given_is_shown_and_found_by_its_key(users, db):
    """A suit stored by the previous version holds only its key: it is shown
    with full-width parentheses, and the court's push with the printed
    number still reaches it."""
    from tests.integrations.test_inbound import push

    clerk = users["clerk"]
    case = await _case(users, "2026-11-02")
    ref = case["reference"]
    with on("2026-11-17"):
        linked = await write(clerk, ref, "lawsuits", {"case_number": "(2026)晋0403民初36号", "court": COURT,
                                                      "case_type": "civil", "filed_on": "2026-11-16"})
        assert linked.status_code == 201, linked.text
    # What the previous version stored (no as-given form).
    await db.execute("UPDATE lawsuit SET case_number_as_given = NULL WHERE id = $1", linked.json()["id"])
    shown = (await clerk.get(f"/api/v1/cases/{ref}/lawsuits/{linked.json()['id']}")).json()
    assert (shown["case_number"], shown["case_number_key"], shown["case_number_as_given"]) == (
        "（2026）晋0403民初36号", "(2026)晋0403民初36号", None)
    with on("2026-11-20"):
        pushed = await push("court", {"event_id": "accepted-36", "type": "litigation.updated",
                                      "data": {"case_number": "（2026）晋0403民初36号", "stage": "first_instance"}},
                            users)
        assert pushed.status_code == 200, pushed.text
    shown = (await clerk.get(f"/api/v1/cases/{ref}/lawsuits/{linked.json()['id']}")).json()
    assert shown["stage"] == "first_instance"
