"""Identifiers stay out of webhooks, exports and logs unless a setting allows it."""

from __future__ import annotations

import json
import os

import structlog

from casework.personal.outbound import outbound, redact_log_event
from casework.settings import get_settings
from tests.support import dispute, person


def test_outbound_payloads_lose_identifiers_by_default_and_keep_them_when_allowed():
    payload = {"case": "140403-2026-000001", "parties": [
        {"name": "张三", "id_number": "140403198001010011", "phone": "13812345678", "address": "东街1号"}]}
    stripped = json.dumps(outbound(payload), ensure_ascii=False)
    assert "140403198001010011" not in stripped and "13812345678" not in stripped and "东街" not in stripped
    assert "张三" in stripped and "140403-2026-000001" in stripped
    os.environ["CASEWORK_PERSONAL_DATA_OUTBOUND"] = "1"
    get_settings.cache_clear()
    try:
        assert outbound(payload) == payload
    finally:
        os.environ.pop("CASEWORK_PERSONAL_DATA_OUTBOUND")
        get_settings.cache_clear()


def test_log_lines_never_carry_identifiers(app):
    event = redact_log_event(None, "info", {"event": "x", "data": {"phone": "13812345678", "ok": 1}})
    assert event == {"event": "x", "data": {"phone": "[redacted]", "ok": 1}}
    # At the top level, and in a list, too; a flat line without one passes as it is.
    assert redact_log_event(None, "info", {"event": "x", "receipt_code": "AB12CD"})["receipt_code"] == "[redacted]"
    assert redact_log_event(None, "info", {"event": "x", "rows": [{"address": "东街1号"}]})["rows"] == [
        {"address": "[redacted]"}]
    line = {"event": "request", "method": "GET", "path": "/health", "status": 200, "ms": 0.3}
    assert redact_log_event(None, "info", dict(line)) == line
    assert redact_log_event in structlog.get_config()["processors"]


async def test_the_outbox_of_a_new_case_carries_no_identifier(users, db):
    applicant = person("applicant", phone="13766667777", address="潞州区出站路1号")
    case = (await users["clerk"].post("/api/v1/cases", json=dispute(parties=[applicant, person("respondent")]))).json()
    payloads = " ".join(r["p"] for r in await db.fetch("SELECT payload::text AS p FROM outbox WHERE case_id = $1",
                                                          case["id"]))
    assert applicant["id_number"] not in payloads and "13766667777" not in payloads and "出站路" not in payloads
    assert case["receipt_code"] not in payloads
