"""A petition's written opinion, from template to service, told on statutory
dates (2026 holidays from the State Council notice via chinese-calendar).

Registered 2026-09-01 and accepted; the Luzhou petition bureau issues its
written opinion on Tuesday 2026-11-10 and posts it the same day. The
return card shows the petitioner received it on Friday 11-13. The 30 days
to ask for review (信访工作条例 art. 35) count from the day after receipt:
they end on 12-13, a Sunday, so on Monday 2026-12-14.
"""

from __future__ import annotations

import io

import docx

from tests.documents.support import png, upload
from tests.support import act, on, person, petition

APPLICANT_ADDRESS = "长治市潞州区英雄中路18号3单元"


def text_of(blob: bytes) -> str:
    document = docx.Document(io.BytesIO(blob))
    return "\n".join(p.text for p in document.paragraphs)


async def counter(db, body_code: str, word: str, year: int) -> int:
    return await db.fetchval(
        """SELECT coalesce((SELECT last_seq FROM document_counter k JOIN body b ON b.id = k.body_id
                            WHERE b.code = $1 AND k.type_word = $2 AND k.year = $3), 0)""", body_code, word, year)


async def test_an_opinion_is_generated_numbered_posted_and_the_review_window_runs_from_receipt(users, db):
    officer, clerk, supervisor = users["officer"], users["clerk"], users["supervisor"]
    applicant = person("applicant", name="王秀英", address=APPLICANT_ADDRESS)
    with on("2026-09-01"):
        case = (await clerk.post("/api/v1/cases", json=petition(
            parties=[applicant, {"role": "respondent", "kind": "organization", "name": "东街社区居委会"}]))).json()
        assert case["proceeding"]["body"]["code"] == "140403-PB"
        assert (await act(officer, case["reference"], "accept")).status_code == 200
    ref = case["reference"]
    with on("2026-11-10"):
        concluded = await act(officer, ref, "conclude", {"outcome": "opinion_issued", "opinion": "explained"})
        assert concluded.status_code == 200, concluded.text
        notice = next(n for n in concluded.json()["notices"] if n["kind"] == "petition_opinion")
        assert notice["served"] is False and notice["document_number"] is None
        before = await counter(db, "140403-PB", "处", 2026)

        stale = await officer.post(f"/api/v1/cases/{ref}/notices/{notice['id']}/document",
                                   headers={"If-Match": '"1.1"'})
        assert stale.status_code == 412
        assert await counter(db, "140403-PB", "处", 2026) == before  # nothing taken
        clerk_try = await clerk.post(f"/api/v1/cases/{ref}/notices/{notice['id']}/document",
                                     headers={"If-Match": concluded.headers["etag"]})
        assert clerk_try.status_code == 403

        made = await officer.post(f"/api/v1/cases/{ref}/notices/{notice['id']}/document",
                                  headers={"If-Match": concluded.headers["etag"]})
        assert made.status_code == 201, made.text
    document = made.json()
    number = f"潞信处〔2026〕{before + 1}号"
    assert (document["document_number"], document["template_version"]) == (number, 0)
    assert document["attachment"]["personal_data"] is True and document["attachment"]["proceeding_seq"] == 1
    assert await counter(db, "140403-PB", "处", 2026) == before + 1

    got = await officer.get(document["attachment"]["download"])
    assert got.status_code == 200
    text = text_of(got.content)
    for expected in ("潞州区信访局", "信访事项处理意见书", number, "王秀英", APPLICANT_ADDRESS, "东街社区居委会",
                     "2026年11月10日", "养老保险待遇核定有误", ref,
                     "可以自收到本信访事项处理意见书之日起30日内请求复查",
                     "信访工作条例 (Petition Work Regulation, 2022) art. 35",
                     "法律依据：信访工作条例 (Petition Work Regulation, 2022) arts. 34, 35"):
        assert expected in text, (expected, text)
    assert "{{" not in text and "{%" not in text

    reads = await db.fetch("SELECT data FROM case_event WHERE case_id = $1 AND type = 'personal_data_revealed'",
                           case["id"])
    assert len(reads) == 1 and "notice_document" in reads[0]["data"] and APPLICANT_ADDRESS not in reads[0]["data"]
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE case_id = $1 AND type LIKE 'notice_document%'",
                             case["id"]) == 0

    # Posted on the day of issue: a try that has not served yet. The notice is to serve.
    with on("2026-11-10", "16:00"):
        etag = (await officer.get(f"/api/v1/cases/{ref}")).headers["etag"]
        posted = await officer.post(f"/api/v1/cases/{ref}/notices/{notice['id']}/service/attempts",
                                    headers={"If-Match": etag},
                                    json={"method": "post", "attempted_on": "2026-11-10", "result": "posted",
                                          "posted_on": "2026-11-10", "tracking_number": "XA123456789CN"})
        assert posted.status_code == 200, posted.text
        assert (posted.json()["served"], [a["result"] for a in posted.json()["attempts"]]) == (False, ["posted"])
        mine = (await officer.get("/api/v1/queue/to-serve", params={"limit": 200})).json()
        backlog = (await supervisor.get("/api/v1/backlog/to-serve", params={"limit": 500})).json()
        elsewhere = (await users["clerk_other"].get("/api/v1/queue/to-serve")).json()
    for listing in (mine, backlog):
        entry = next(i for i in listing["items"] if i["notice_id"] == notice["id"])
        assert (entry["reference"], entry["attempts"], entry["last_attempt"], entry["document_number"]) == (
            ref, 1, "posted", number)
    assert notice["id"] not in [i["notice_id"] for i in elsewhere["items"]]

    # The return card comes back: received Friday 11-13.
    with on("2026-11-16"):
        card = await upload(officer, ref, png(), filename="邮件回执.png", personal_data=True)
        assert card.status_code == 201, card.text
        served = await officer.post(
            f"/api/v1/cases/{ref}/notices/{notice['id']}/service", headers={"If-Match": card.headers["etag"]},
            json={"method": "post", "posted_on": "2026-11-10", "served_on": "2026-11-13",
                  "tracking_number": "XA123456789CN", "proof_attachment_id": card.json()["id"]})
        assert served.status_code == 200, served.text
        detail = (await officer.get(f"/api/v1/cases/{ref}")).json()
        mine = (await officer.get("/api/v1/queue/to-serve", params={"limit": 200})).json()
    assert served.json()["service"]["proof_attachment_id"] == card.json()["id"]
    window = next(c for p in detail["proceedings"] for c in p["clocks"] if c["time_limit"] == "petition.request_review")
    assert (window["whose"], window["started_on"], window["due_on"]) == ("party", "2026-11-13", "2026-12-14")
    shown = next(n for n in detail["notices"] if n["id"] == notice["id"])
    assert (shown["served"], shown["document_number"], shown["template_version"]) == (True, number, 0)
    assert notice["id"] not in [i["notice_id"] for i in mine["items"]]
    assert {a["purpose"] for a in detail["attachments"]} == {"notice_document", "document"}

    # Generated again (a corrected template, say): the number stays, a new file is stored.
    with on("2026-11-16", "11:00"):
        again = await officer.post(f"/api/v1/cases/{ref}/notices/{notice['id']}/document",
                                   headers={"If-Match": (await officer.get(f"/api/v1/cases/{ref}")).headers["etag"]})
    assert again.status_code == 201
    assert again.json()["document_number"] == number and again.json()["attachment"]["id"] != document["attachment"]["id"]
    assert await counter(db, "140403-PB", "处", 2026) == before + 1


async def test_a_court_document_is_not_generated(users, db):
    with on("2026-09-01"):
        case = (await users["clerk"].post("/api/v1/cases", json=petition())).json()
    proceeding_id = case["proceeding"]["id"]
    notice_id = await db.fetchval(
        "INSERT INTO notice (case_id, proceeding_id, kind, issued_on) VALUES ($1, $2, 'judgment', '2026-09-02') "
        "RETURNING id", case["id"], proceeding_id)
    etag = (await users["officer"].get(f"/api/v1/cases/{case['reference']}")).headers["etag"]
    response = await users["officer"].post(f"/api/v1/cases/{case['reference']}/notices/{notice_id}/document",
                                           headers={"If-Match": etag})
    assert response.status_code == 409 and response.json()["type"].endswith("not-generated")
