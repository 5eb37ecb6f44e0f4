"""A case's files over HTTP: a letter scanned at the station, an ID-card copy,
a photo that is really a web page. Files go to the default store (a folder
beside the database's, under the test session's data directory)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from contextlib import contextmanager
from urllib.parse import quote

import pytest

from casework.settings import get_settings
from tests.documents.support import HTML, docx, pdf, png, upload
from tests.support import dispute


@contextmanager
def limits(app, **changes):
    """The running app with other settings for a block (configuration, not a stand-in)."""
    before = app.state.settings
    app.state.settings = dataclasses.replace(before, **changes)
    try:
        yield
    finally:
        app.state.settings = before


def stored_files() -> set[str]:
    root = get_settings().files_root
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
async def case(users):
    response = await users["clerk"].post("/api/v1/cases", json=dispute())
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_scanned_letter_is_stored_listed_and_handed_back_as_a_download(users, db, case):
    clerk, letter = users["clerk"], pdf("信访人来信")
    response = await upload(clerk, case["reference"], letter, filename="张三的来信 2026.pdf")
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["filename"], made["content_type"], made["extension"], made["size_bytes"], made["sha256"]) == (
        "张三的来信 2026.pdf", "application/pdf", "pdf", len(letter), hashlib.sha256(letter).hexdigest())
    assert made["withdrawn"] is False and made["proceeding_seq"] is None and made["personal_data"] is False
    assert response.headers["etag"] != f'"{case["id"]}.{case["version"]}"'

    detail = (await clerk.get(f"/api/v1/cases/{case['reference']}")).json()
    assert [a["id"] for a in detail["attachments"]] == [made["id"]]
    assert "sessions" in detail and "notices" in detail  # the keys before stay
    page = (await clerk.get(f"/api/v1/cases/{case['reference']}/attachments")).json()
    assert ([a["id"] for a in page["items"]], page["next_cursor"], page["has_more"]) == ([made["id"]], None, False)

    got = await users["officer"].get(made["download"])
    assert got.status_code == 200 and got.content == letter
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"______2026.pdf\"; filename*=UTF-8''" + quote("张三的来信 2026.pdf", safe=""))
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"].startswith("default-src 'none'")
    assert got.headers["content-type"].startswith("application/pdf")

    events = (await clerk.get(f"/api/v1/cases/{case['reference']}/events")).json()["items"]
    added = [e for e in events if e["type"] == "attachment_added"]
    assert [e["data"]["attachment_id"] for e in added] == [made["id"]]
    assert "张三" not in str(added)  # the file's name stays out of the event
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE case_id = $1 AND type LIKE 'attachment%'",
                             case["id"]) == 0


async def test_a_web_page_named_like_a_photo_is_refused_and_nothing_is_kept(users, db, case):
    before = stored_files()
    response = await upload(users["clerk"], case["reference"], HTML, filename="现场照片.jpg")
    assert response.status_code == 415, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "not recognised" in response.json()["detail"]
    zipped = await upload(users["clerk"], case["reference"], b"PK\x03\x04" + b"\x00" * 100, filename="a.docx")
    assert zipped.status_code == 415
    assert stored_files() == before
    assert await db.fetchval("SELECT count(*) FROM attachment WHERE case_id = $1", case["id"]) == 0
    assert await db.fetchval("SELECT count(*) FROM stored_object_pending") == 0


async def test_a_file_over_the_limit_is_refused_midway_and_leaves_nothing(app, users, db, case):
    before = stored_files()

    async def big():
        yield png()
        for _ in range(40):
            yield b"\x00" * 4096

    with limits(app, attachment_max_bytes=64 * 1024):
        response = await upload(users["clerk"], case["reference"], big(), filename="photo.png")
        assert response.status_code == 413, response.text
        assert response.json()["limit"] == 64 * 1024
        # Announced too large: refused before a byte is read.
        announced = await upload(users["clerk"], case["reference"], b"\x00" * (65 * 1024), filename="x.png")
        assert announced.status_code == 413
    assert stored_files() == before
    assert await db.fetchval("SELECT count(*) FROM stored_object_pending") == 0
    assert await db.fetchval("SELECT count(*) FROM attachment WHERE case_id = $1", case["id"]) == 0


async def test_a_case_holds_files_up_to_its_own_limit(app, users, case):
    clerk = users["clerk"]
    first = await upload(clerk, case["reference"], pdf("一"), filename="1.pdf")
    assert first.status_code == 201
    with limits(app, case_files_max_bytes=first.json()["size_bytes"] + 100):
        second = await upload(clerk, case["reference"], pdf("第二封很长的来信" * 10), filename="2.pdf")
    assert second.status_code == 413
    assert "one case's files" in second.json()["detail"]


async def test_files_on_a_proceeding_and_a_record_name_them_and_bad_targets_are_named(users, case):
    clerk, ref = users["clerk"], case["reference"]
    on_proceeding = await upload(clerk, ref, png(), filename="现场.png", proceeding=1)
    assert on_proceeding.status_code == 201, on_proceeding.text
    assert on_proceeding.json()["proceeding_seq"] == 1
    missing = await upload(clerk, ref, png(), filename="现场.png", proceeding=9)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "proceeding"
    record = await upload(clerk, ref, png(), filename="协议.png", record_kind="agreement", record_id=999999)
    assert record.status_code == 422 and record.json()["errors"][0]["field"] == "record_id"
    nameless = await upload(clerk, ref, png(), filename="/")
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["field"] == "filename"


async def test_writes_need_the_cases_etag(users, case):
    clerk, ref = users["clerk"], case["reference"]
    none = await clerk.post(f"/api/v1/cases/{ref}/attachments", params={"filename": "a.pdf"}, content=pdf())
    assert none.status_code == 428
    stale = await upload(clerk, ref, pdf(), etag='"1.0"')
    assert stale.status_code == 412


async def test_another_jurisdiction_sees_the_files_as_missing(users, case):
    made = (await upload(users["clerk"], case["reference"], pdf())).json()
    other = users["clerk_other"]
    for response in (await other.get(made["download"]),
                     await other.get(f"/api/v1/cases/{case['reference']}/attachments"),
                     await upload(other, "140403-1999-999999", pdf(), etag='"1.1"'),
                     await other.post(f"/api/v1/cases/{case['reference']}/attachments",
                                      params={"filename": "a.pdf"}, content=pdf(), headers={"If-Match": '"1.1"'})):
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == "case not found"


async def test_an_id_card_copy_is_read_only_with_the_permission_and_every_download_is_recorded(users, db, case):
    ref = case["reference"]
    made = await upload(users["clerk"], ref, png(), filename="身份证复印件.png", personal_data=True)
    assert made.status_code == 201, made.text
    attachment = made.json()
    assert attachment["personal_data"] is True
    refused = await users["clerk"].get(attachment["download"])
    assert refused.status_code == 403 and refused.json()["permission"] == "attachments.personal.read"
    for reader in ("officer", "officer", "auditor"):
        got = await users[reader].get(attachment["download"])
        assert got.status_code == 200 and got.content == png()
        assert got.headers["cache-control"] == "no-store"
    reads = await db.fetch(
        """SELECT e.data->>'actor' AS actor, u.username FROM case_event e JOIN app_user u ON u.id = e.actor_id
           WHERE e.case_id = $1 AND e.type = 'attachment_downloaded' ORDER BY e.id""", case["id"])
    assert [(r["actor"], r["username"]) for r in reads] == [("officer", "officer")] * 2 + [("auditor", "auditor")]
    # A file without personal data is read without a record.
    plain = (await upload(users["clerk"], ref, pdf(), filename="plain.pdf")).json()
    assert (await users["clerk"].get(plain["download"])).status_code == 200
    assert await db.fetchval("SELECT count(*) FROM case_event WHERE case_id = $1 AND type = 'attachment_downloaded'",
                             case["id"]) == 3


async def test_a_withdrawn_file_stays_stored_and_listed_with_who_and_why(users, db, case):
    ref, clerk, draft = case["reference"], users["clerk"], docx()
    made = (await upload(clerk, ref, draft, filename="协议草稿.docx")).json()
    etag = (await clerk.get(f"/api/v1/cases/{ref}")).headers["etag"]
    no_reason = await clerk.post(f"/api/v1/cases/{ref}/attachments/{made['id']}/withdrawal", json={"reason": ""},
                                 headers={"If-Match": etag})
    assert no_reason.status_code == 400
    withdrawn = await clerk.post(f"/api/v1/cases/{ref}/attachments/{made['id']}/withdrawal",
                                 json={"reason": "上传错了案件"}, headers={"If-Match": etag})
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["withdrawn"], withdrawn.json()["withdrawn_reason"]) == (True, "上传错了案件")
    again = await clerk.post(f"/api/v1/cases/{ref}/attachments/{made['id']}/withdrawal",
                             json={"reason": "再次"}, headers={"If-Match": withdrawn.headers["etag"]})
    assert again.status_code == 409
    listed = (await clerk.get(f"/api/v1/cases/{ref}/attachments")).json()["items"]
    assert [(a["id"], a["withdrawn"]) for a in listed] == [(made["id"], True)]
    assert (await clerk.get(made["download"])).content == draft
    event = await db.fetchrow("SELECT data, actor_id FROM case_event WHERE case_id = $1 AND type = "
                              "'attachment_withdrawn'", case["id"])
    assert event["actor_id"] == users.ids["clerk"] and "上传错了案件" in event["data"]


async def test_a_file_of_many_mebibytes_streams_through_in_small_chunks(users, case):
    """32 MiB sent as 512 chunks of 64 KiB and read back in the store's chunks:
    the hash over the stream is the hash of the bytes (the server-side memory
    bound is measured on a real server in test_streaming_server.py)."""
    block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB

    async def chunks():
        yield pdf()
        for _ in range(512):
            yield block

    expected = hashlib.sha256(pdf() + block * 512).hexdigest()
    response = await upload(users["clerk"], case["reference"], chunks(), filename="录音转写.pdf")
    assert response.status_code == 201, response.text
    assert (response.json()["size_bytes"], response.json()["sha256"]) == (len(pdf()) + 512 * 65536, expected)
    digest = hashlib.sha256()
    async with users["officer"].stream("GET", response.json()["download"]) as got:
        assert got.headers["content-length"] == str(len(pdf()) + 512 * 65536)
        async for piece in got.aiter_bytes():
            digest.update(piece)
    assert digest.hexdigest() == expected


async def test_files_reach_the_sync_feed_as_metadata_and_never_the_public_lookup(app, users, case):
    from tests.support_access import client_from

    made = (await upload(users["clerk"], case["reference"], pdf(), filename="现场勘查记录.pdf")).json()
    async with client_from(app) as party:
        lookup = await party.post("/api/v1/public/lookup",
                                  json={"reference": case["reference"], "receipt_code": case["receipt_code"]})
    assert lookup.status_code == 200
    assert "现场勘查记录" not in lookup.text and "attachment" not in lookup.text and made["sha256"] not in lookup.text

    # The feed hands out only what committed below the oldest running
    # transaction of the whole server (sync/service.py): on a shared server
    # it lags, it never skips, so the case is waited for.
    fed, cursor = None, None
    for _ in range(300):
        page = (await users["clerk"].get("/api/v1/sync/changes",
                                         params={"limit": 1000} | ({"since": cursor} if cursor else {}))).json()
        fed = next((i for i in page["items"] if i["reference"] == case["reference"]), fed)
        cursor = page["next_cursor"]
        if fed is not None and not page["has_more"]:
            break
        if not page["has_more"]:
            await asyncio.sleep(0.2)
    assert fed is not None
    assert [(f["id"], f["sha256"], f["size_bytes"], f["withdrawn"]) for f in fed["files"]] == [
        (made["id"], made["sha256"], made["size_bytes"], False)]
    assert "storage_key" not in fed["files"][0]
