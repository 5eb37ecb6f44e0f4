"""The time-limit data names only events that happen, notices that exist and
limits that are there: a limit nobody starts, or that waits for an event
with a typo, would never run."""

from __future__ import annotations

import json
from importlib import resources

from casework.deadlines.engine import RECORD_EVENTS
from casework.notices.service import kinds
from casework.proceedings.tracks import registry
from casework.proceedings.transitions import ACTIONS, CHANNELS


def _limits() -> list[dict]:
    return json.loads(resources.files("casework.reference").joinpath("data", "time_limits.json")
                      .read_text("utf-8"))["time_limits"]


def _known(event: str, codes: set[str]) -> bool:
    prefix, _, rest = event.partition(":")
    if not rest:
        return event in set(ACTIONS) | {"open"} | RECORD_EVENTS
    if prefix == "served":
        return rest in kinds()
    if prefix == "conclude":
        return any(rest in t.outcome_codes for t in registry().tracks.values())
    if prefix == "guidance":
        return rest in CHANNELS
    if prefix == "lapse":
        return rest in codes
    return False


def test_every_start_and_stop_names_a_real_event():
    limits = _limits()
    codes = {lim["code"] for lim in limits}
    for lim in limits:
        assert lim["starts_on"], lim["code"]
        for event in [*lim["starts_on"], *lim["stops_on"]]:
            assert _known(event, codes), (lim["code"], event)
        assert set(lim["then_starts"]) <= codes, lim["code"]
        assert lim["whose"] in ("body", "party", "court")
        assert lim["on_lapse"] in ("breach", "close", "deemed_accepted", "deemed_withdrawn")
        assert (lim["whose"] == "party") == lim["party_window"], lim["code"]
        assert lim["source"].strip(), lim["code"]


def test_every_row_of_the_domain_table_is_in_the_data():
    """The corrected DOMAIN.md time-limit table, row by row (length, unit, whose)."""
    by_code = {lim["code"]: lim for lim in _limits()}
    expected = {
        "petition.register_forward": (15, "days", "body"),
        "petition.return_misdirected": (5, "working_days", "body"),
        "petition.notify_acceptance": (15, "days", "body"),
        "petition.opinion": (60, "days", "body"),
        "petition.request_review": (30, "days", "party"),
        "petition_review.opinion": (30, "days", "body"),
        "petition_review.request_re_review": (30, "days", "party"),
        "petition_re_review.opinion": (30, "days", "body"),
        "people_mediation.target": (1, "months", "body"),
        "labour_mediation.settle": (15, "days", "body"),
        "labour_arbitration.apply": (1, "years", "party"),
        "judicial_confirmation.apply": (30, "days", "party"),
        "judicial_confirmation.accept": (3, "days", "court"),
        "judicial_confirmation.ruling": (15, "days", "court"),
        "reconsideration.apply": (60, "days", "party"),
        "reconsideration.acceptance_review": (5, "working_days", "body"),
        "reconsideration.supplement": (10, "working_days", "party"),
        "reconsideration.decision": (60, "days", "body"),
        "reconsideration.decision_simplified": (30, "days", "body"),
        "litigation.after_reconsideration": (15, "days", "party"),
        "litigation.after_no_decision": (15, "days", "party"),
        "litigation.direct": (6, "months", "party"),
        "litigation.filing_review": (7, "days", "court"),
        "litigation.appeal_judgment": (15, "days", "party"),
        "litigation.appeal_ruling": (10, "days", "party"),
        "legal_aid.decide": (7, "days", "body"),
        "legal_aid.assign": (3, "days", "body"),
        "legal_aid.objection": (5, "days", "body"),
    }
    for code, (length, unit, whose) in expected.items():
        lim = by_code[code]
        assert (lim["length"], lim["unit"], lim["whose"]) == (length, unit, whose), code
    assert by_code["reconsideration.acceptance_review"]["on_lapse"] == "deemed_accepted"
    assert by_code["reconsideration.supplement"]["on_lapse"] == "deemed_withdrawn"
    assert by_code["reconsideration.decision"]["extension_length"] == 30
    assert not by_code["reconsideration.decision_simplified"]["extendable"]
    assert by_code["judicial_confirmation.ruling"]["extension_length"] == 10
    assert "23(3)" in by_code["petition.notify_acceptance"]["source"]
