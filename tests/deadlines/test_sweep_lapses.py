"""The sweep settles what the law decided when periods ran out, for many
cases in one pass, as an action would for one: windows closed, periods a
lapse begins, deemed acceptances; each once, each in the timeline and the
outbox. Told on statutory dates (hand-computed), time moved with ``on``."""

from __future__ import annotations

from casework.deadlines.sweep import sweep
from tests.records.support import AGENCY
from tests.support import act, dispute, on, person, petition


def clock(detail: dict, code: str) -> dict:
    return next(c for p in detail["proceedings"] for c in p["clocks"] if c["time_limit"] == code)


async def _petition_with_opinion_received(users, received_on: str) -> dict:
    """Registered 2026-09-01, opinion issued 10-30 and received ``received_on``
    (by post): the 30 days to ask for review run from receipt."""
    officer = users["officer"]
    with on("2026-09-01"):
        case = (await users["clerk"].post("/api/v1/cases", json=petition(occurred_on="2026-08-20"))).json()
        assert (await act(officer, case["reference"], "accept")).status_code == 200
    with on("2026-10-30"):
        concluded = await act(officer, case["reference"], "conclude",
                              {"outcome": "opinion_issued", "opinion": "explained"})
        assert concluded.status_code == 200, concluded.text
    notice = next(n for n in concluded.json()["notices"] if n["kind"] == "petition_opinion")
    with on("2026-11-05"):
        served = await officer.post(
            f"/api/v1/cases/{case['reference']}/notices/{notice['id']}/service",
            headers={"If-Match": concluded.headers["etag"]},
            json={"method": "post", "posted_on": "2026-10-30", "served_on": received_on, "tracking_number": "EA1"})
        assert served.status_code == 200, served.text
    return case


async def test_one_sweep_closes_windows_deems_acceptance_and_follows_the_chain_once(users, db):
    """Two petitions whose review windows ran out unanswered (opinions
    received 11-03 and 11-04: windows to 12-03 and Friday 12-04), and a
    reconsideration application received Monday 2026-11-02 that nobody
    decided on: accepted by law on 11-09 (5 working days), its 60 days to
    2027-01-08 (provisional) ran out, and the applicant's 15 days to sue
    over non-decision ran from 01-08 to Saturday 01-23, so Monday 01-25.
    One sweep on 2027-01-26 settles all of it, chain included."""
    first = await _petition_with_opinion_received(users, "2026-11-03")
    second = await _petition_with_opinion_received(users, "2026-11-04")
    with on("2026-11-02"):
        draft = dispute(category="urban_management", parties=[person(), AGENCY], act_known_on="2026-10-20",
                        occurred_on="2026-10-20", requested_track="reconsideration",
                        override_reason="申请人申请行政复议")
        application = (await users["officer"].post("/api/v1/cases", json=draft)).json()
    versions = {c["id"]: await db.fetchval("SELECT version FROM case_file WHERE id = $1", c["id"])
                for c in (first, second, application)}

    with on("2027-01-26"):
        report = await sweep()
        # Two windows; the review, the decision and the suit window (and
        # whatever other tests' cases left to lapse in the same database).
        assert report["lapses_settled"] >= 5, report
        again = await sweep()
        assert again["lapses_settled"] == 0 and again["marked_breached"] == 0, again
        petitions = [(await users["officer"].get(f"/api/v1/cases/{c['reference']}")).json() for c in (first, second)]
        office = (await users["reconsideration"].get(f"/api/v1/cases/{application['reference']}")).json()

    for case, due in zip(petitions, ("2026-12-03", "2026-12-04"), strict=True):
        window = clock(case, "petition.request_review")
        assert (window["state"], window["outcome"], window["stopped_on"], window["due_on"]) == (
            "stopped", "lapsed", due, due)
    review = clock(office, "reconsideration.acceptance_review")
    assert (review["state"], review["outcome"], review["stopped_on"]) == ("stopped", "deemed", "2026-11-09")
    assert office["stage"] == "accepted"
    decision = clock(office, "reconsideration.decision")
    assert (decision["started_on"], decision["due_on"], decision["status"], decision["breached_on"]) == (
        "2026-11-09", "2027-01-08", "breached", "2027-01-09")
    suit = clock(office, "litigation.after_no_decision")
    assert (suit["whose"], suit["started_on"], suit["due_on"], suit["state"], suit["outcome"]) == (
        "party", "2027-01-08", "2027-01-25", "stopped", "lapsed")
    # The case is due by its body's decision, not by the party's window.
    assert office["next_due_on"] == "2027-01-08"

    # Each change once in the timeline, with its outbox row naming the case.
    for case in (first, second, application):
        assert await db.fetchval("SELECT version FROM case_file WHERE id = $1", case["id"]) > versions[case["id"]]
        outboxed = await db.fetch(
            """SELECT DISTINCT o.payload::jsonb ->> 'case' AS reference FROM case_event e
               LEFT JOIN outbox o ON o.event_id = e.id WHERE e.case_id = $1""", case["id"])
        assert [r["reference"] for r in outboxed] == [case["reference"]]
    events = [(r["type"], r["data"]) for r in await db.fetch(
        "SELECT type, data::text AS data FROM case_event WHERE case_id = $1 ORDER BY id", application["id"])]
    kinds = [t for t, _ in events]
    assert kinds.count("deemed_accepted") == 1 and kinds.count("clock_breached") == 1
    started = [d for t, d in events if t == "clock_started" and "litigation.after_no_decision" in d]
    assert len(started) == 1 and '"by": "lapse:reconsideration.decision"' in started[0]
    closed = [d for t, d in events if t == "clock_stopped" and '"by": "lapse:litigation.after_no_decision"' in d]
    assert len(closed) == 1 and '"outcome": "lapsed"' in closed[0]
    # In the order the law took them: deemed acceptance, the decision's
    # breach, then what its lapse began, then that window's close.
    order = [kinds.index("deemed_accepted"), kinds.index("clock_breached"),
             next(i for i, (t, d) in enumerate(events) if t == "clock_started" and "after_no_decision" in d),
             next(i for i, (t, d) in enumerate(events) if t == "clock_stopped" and "after_no_decision" in d)]
    assert order == sorted(order)
    handled = await db.fetchval(
        """SELECT count(*) FROM clock WHERE case_id = ANY($1::bigint[]) AND lapse_handled_at IS NULL
             AND due_on < '2027-01-26' AND state = 'running'""", [first["id"], second["id"], application["id"]])
    assert handled == 0


async def test_an_action_settles_the_same_way_the_sweep_would(users):
    """The same window, settled before a clerk's action instead of by the
    sweep: received 11-03, the window closed on 12-03; a review request on
    12-07 is late (an officer may still accept it, with a reason)."""
    case = await _petition_with_opinion_received(users, "2026-11-03")
    with on("2026-12-07"):
        late = await act(users["clerk"], case["reference"], "request_review", {"reason": "不服处理意见"})
        now = (await users["officer"].get(f"/api/v1/cases/{case['reference']}")).json()
    assert late.status_code == 422, late.text
    window = clock(now, "petition.request_review")
    assert (window["state"], window["outcome"], window["stopped_on"]) == ("stopped", "lapsed", "2026-12-03")
