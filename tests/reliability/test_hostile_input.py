"""Hostile input: a corpus a generator will not think of (this file) and
schemathesis against the service's own OpenAPI (test_schemathesis.py).

Each hostile request is refused with a 4xx problem+json and stores nothing;
a few that look hostile but are legitimate (names in two scripts, SQL or
HTML in free text) are stored exactly as sent and do nothing else. The
staff API is one corpus; the public endpoints (online filing and its proof
of work, places, the party's lookup and feedback, Open311 in JSON and XML,
whose refusals take the specification's error format) are another."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from collections import Counter
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest
from altcha import v1 as altcha  # the ALTCHA v1 protocol, which the widget speaks

from tests.reliability import harness
from tests.reliability.load import client, draft, today
from tests.support import person, phone

pytestmark = pytest.mark.reliability

TABLES = ("case_file", "party", "proceeding", "clock", "case_event", "outbox", "mediation_session",
          "idempotency_record", "app_user", "division", "body", "category")


def with_party_name(name: str) -> dict[str, Any]:
    return draft("名字测试") | {"parties": [person("applicant", name=name), person("respondent")]}


class _chunks:
    """An async body of unknown length: httpx sends it chunked."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self):
        for part in self.parts:
            yield part


def deep(depth: int, open_: str, close: str, inner: str = "1") -> str:
    return open_ * depth + inner + close * depth


def cases_refused() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(label, method, path, httpx kwargs): each must be refused with a 4xx and store nothing."""
    base = draft("hostile")
    items: list[tuple[str, str, str, dict[str, Any]]] = []

    def body(label: str, data: Any, path: str = "/api/v1/cases", **kwargs) -> None:
        items.append((label, "POST", path, {"json": data, **kwargs}))

    def raw(label: str, content: bytes, path: str = "/api/v1/cases", **kwargs) -> None:
        items.append((label, "POST", path, {"content": content, "headers": {"content-type": "application/json"},
                                            **kwargs}))

    # size and shape
    raw("oversized body (1 MiB)", json.dumps(base | {"description": "长" * 350_000}).encode())
    items.append(("oversized body, chunked, no Content-Length", "POST", "/api/v1/cases",
                  {"content": _chunks([b'{"summary": "' + b"x" * 65536] * 8 + [b'"}']),
                   "headers": {"content-type": "application/json"}}))
    raw("deep JSON arrays (40,000 levels)", ('{"kind":"dispute","description":' + deep(40_000, "[", "]") + "}").encode())
    raw("deep JSON objects (20,000 levels)", deep(20_000, '{"a":', "}").encode())
    body("huge array: 4,000 parties", base | {"parties": [{"role": "respondent", "kind": "person", "name": "甲"}] * 4000})
    body("huge array: 100,000 numbers", base | {"parties": list(range(100_000))})
    # encodings and characters
    body("NUL byte in a name", with_party_name("张\u0000三"))
    body("NUL byte in the summary", base | {"summary": "排水\u0000纠纷"})
    raw("invalid UTF-8", json.dumps(base).replace("hostile", "@@").encode().replace(b"@@", b"\xff\xfe\xc3"))
    raw("lone surrogate escaped in a name",
        json.dumps(with_party_name("@@")).replace("@@", "\\ud800").encode())
    body("emoji in a name", with_party_name("张三😀"))
    body("right-to-left override in a name", with_party_name("张\u202e三"))
    body("zero-width space in a name", with_party_name("张\u200b三"))
    body("Latin and Cyrillic mixed in one word (homoglyph)", with_party_name("Ivаn Petrov"))
    body("control character in a name", with_party_name("张\u0007三"))
    # injection where an identifier or a name is expected
    body("SQL injection as a name", with_party_name("Robert'); DROP TABLE party;--"))
    body("script injection as a name", with_party_name("<script>alert(1)</script>"))
    body("SQL injection as a division code", base | {"division_code": "1' OR '1'='1"})
    body("SQL injection as a category", base | {"category": "neighbour' OR 1=1--"})
    items.append(("SQL injection as a reference", "GET", "/api/v1/cases/1'%20OR%20'1'='1", {}))
    items.append(("SQL injection in a filter", "GET", "/api/v1/cases?division=1404'%20OR%201=1--", {}))
    items.append(("forged cursor", "GET", "/api/v1/cases?cursor=J09SIDE9MS0t", {}))
    # numbers
    for value in (-1, 0, 10**30, 1e308):
        body(f"headcount {value}", base | {"headcount": value})
    raw("headcount NaN (not JSON)", json.dumps(base).replace('"headcount": 1', '"headcount": NaN').encode())
    for value in ("-5", "1e400", "NaN", "Infinity", "0.001", "1" * 40):
        body(f"amount_in_dispute {value}", base | {"amount_in_dispute": value})
    items.append(("list limit -1", "GET", "/api/v1/cases?limit=-1", {}))
    items.append(("list limit 10^12", "GET", "/api/v1/cases?limit=1000000000000", {}))
    items.append(("body_id 10^30 in a filter", "GET", "/api/v1/cases?body_id=1000000000000000000000000000000", {}))
    # dates
    for field, value in (("occurred_on", "0001-01-01"), ("occurred_on", "9999-12-31"),
                         ("occurred_on", "+275760-09-13"), ("act_known_on", "1000-02-29"),
                         ("received_at", "0001-01-01T00:00:00Z"), ("received_at", "9999-12-31T23:59:59Z"),
                         ("received_at", "2026-01-01T00:00:00"), ("occurred_on", "2026-02-30")):
        body(f"{field} {value}", base | {field: value})
    return items


def action_items(reference: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    path = f"/api/v1/cases/{reference}/actions"
    items = []
    for held_on in ("0001-01-01", "1900-01-01", "9999-12-31"):
        items.append((f"session held on {held_on}", "POST", f"{path}/record_session",
                      {"json": {"held_on": held_on}}))
    items.append(("session with 100,000 participants", "POST", f"{path}/record_session",
                  {"json": {"held_on": today(), "participants": ["甲"] * 100_000}}))
    items.append(("session with a NUL in its notes", "POST", f"{path}/record_session",
                  {"json": {"held_on": today(), "notes": "记录\u0000"}}))
    for days in (-1, 0, 10**20):
        items.append((f"extension of {days} days", "POST", f"{path}/extend_deadline",
                      {"json": {"days": days, "approver": "主任", "reason": "x", "party_informed": True}}))
    items.append(("unknown action with SQL in it", "POST", f"{path}/accept;DROP%20TABLE%20case_file", {"json": {}}))
    return items


def accepted_verbatim() -> list[tuple[str, dict[str, Any], str, str]]:
    """(label, body, field path, value): legitimate and stored exactly."""
    return [
        ("a Uyghur name written in Han with a middle dot", with_party_name("买买提·艾力"), "name", "买买提·艾力"),
        ("a foreign name in Latin and Han", with_party_name("Tom Smith 史密斯"), "name", "Tom Smith 史密斯"),
        ("a company name mixing Han, Latin and digits",
         draft("公司名") | {"parties": [person("applicant"),
                                        {"role": "respondent", "kind": "organization",
                                         "name": "长治ABC科技有限公司（第2分公司）"}]},
         "respondent", "长治ABC科技有限公司（第2分公司）"),
        ("SQL in the summary (free text)", draft("'; DROP TABLE case_file; --"), "summary",
         "'; DROP TABLE case_file; --"),
        ("HTML in the summary (free text)", draft("<script>alert(1)</script>"), "summary",
         "<script>alert(1)</script>"),
    ]


async def _counts(conn) -> dict[str, int]:
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def test_a_corpus_of_hostile_input_is_refused_and_stores_nothing(service_factory, request):
    service = await service_factory("hostile")
    conn = await asyncpg.connect(service.database_url)
    failures: list[str] = []
    refused = 0
    try:
        async with client(service.base_url, service.token("clerk")) as clerk, \
                client(service.base_url, service.token("mediator")) as mediator:
            created = await clerk.post("/api/v1/cases", json=draft("target of hostile actions"))
            assert created.status_code == 201, created.text
            reference = created.json()["reference"]
            accept = await mediator.post(f"/api/v1/cases/{reference}/actions/accept", json={},
                                         headers={"If-Match": created.headers["etag"]})
            assert accept.status_code == 200, accept.text

            plan = [(clerk, item) for item in cases_refused()] + [(mediator, item) for item in action_items(reference)]
            for who, (label, method, path, kwargs) in plan:
                if "/actions/" in path:  # a fresh ETag, so a refusal is the input's doing, not a stale 412
                    etag = (await mediator.get(f"/api/v1/cases/{reference}")).headers["etag"]
                    kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), "If-Match": etag}}
                before = await _counts(conn)
                try:
                    response = await who.request(method, path, **kwargs)
                except httpx.HTTPError as exc:
                    failures.append(f"{label}: no answer ({type(exc).__name__})")
                    continue
                after = await _counts(conn)
                changed = {t: after[t] - before[t] for t in TABLES if after[t] != before[t]}
                problem = response.headers.get("content-type", "").startswith("application/problem+json")
                if not (400 <= response.status_code < 500) or not problem or changed:
                    failures.append(f"{label}: {response.status_code} {response.headers.get('content-type')} "
                                    f"stored {changed} {response.text[:200]}")
                else:
                    refused += 1

            verbatim = 0
            for label, data, where, value in accepted_verbatim():
                before = await _counts(conn)
                response = await clerk.post("/api/v1/cases", json=data)
                after = await _counts(conn)
                if response.status_code != 201:
                    failures.append(f"{label}: refused {response.status_code} {response.text[:200]}")
                    continue
                case_id = response.json()["id"]
                if where == "summary":
                    stored = await conn.fetchval("SELECT summary FROM case_file WHERE id = $1", case_id)
                elif where == "name":
                    stored = await conn.fetchval("SELECT name FROM party WHERE case_id = $1 AND position = 1", case_id)
                else:
                    stored = await conn.fetchval("SELECT name FROM party WHERE case_id = $1 AND role = 'respondent'",
                                                 case_id)
                if stored != value or after["case_file"] != before["case_file"] + 1:
                    failures.append(f"{label}: stored {stored!r}")
                else:
                    verbatim += 1
            tables_intact = all([await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", t) for t in TABLES])
    finally:
        await conn.close()
    errors = service.log_errors()
    total = len(plan)
    harness.record(harness.Row(
        check="Hostile input: corpus",
        tried="oversized and chunked bodies (request size limit), deep JSON, huge arrays, NUL bytes, invalid "
              "UTF-8, lone surrogates, emoji/bidi/zero-width/control characters and homoglyph-mixed scripts in "
              "names, SQL and script injection in names, codes, references, filters and cursors, negative and "
              "absurd numbers, dates far in the past and future; plus legitimate look-alikes",
        amount=f"{total} hostile requests, {len(accepted_verbatim())} legitimate ones",
        held=f"{refused}/{total} refused with a 4xx problem+json storing nothing; {verbatim}/"
             f"{len(accepted_verbatim())} legitimate ones (Han+Latin names, SQL/HTML in free text) stored "
             f"verbatim; tables intact: {tables_intact}; errors logged: {len(errors)}",
        lost="nothing stored by a refused request" if refused == total else f"{len(failures)} failures",
        ok=not failures and tables_intact and not errors,
        figures={"nodeid": request.node.nodeid, "failures": failures, "logged_errors": errors[:5]},
    ))
    assert not failures, "\n".join(failures)
    assert tables_intact
    assert not errors, errors[:5]


# ---------------------------------------------------------------- the public endpoints

# What a refused public request must leave as it was. ``altcha_spent`` and
# ``throttle_event`` are bookkeeping, not data: a solution that reached the
# service is spent even if the filing is then refused (so it cannot probe
# twice), and failed lookups count against their throttle by design. They
# are reported, not held to zero.
PUBLIC_TABLES = (*TABLES, "feedback", "sms_message", "open311_app")
BOOKKEEPING = ("altcha_spent", "throttle_event")
SOLVE = object()  # a fresh solution of a challenge from the service goes here
APPLY, LOOKUP, FEEDBACK = "/api/v1/public/applications", "/api/v1/public/lookup", "/api/v1/public/feedback"
OPEN311 = "/open311/v2"


def online(summary: str = "网上申请", **overrides: Any) -> dict[str, Any]:
    """A neighbour dispute filed online from Guancun, with a solution to be filled in."""
    data: dict[str, Any] = {
        "kind": "dispute", "category": "neighbour", "division_code": "140403100201", "summary": summary,
        "description": "雨季邻居家的排水流入我家院内，请求调解。", "applicant": {"name": "李网申", "phone": phone()},
        "respondent": {"kind": "person", "name": "张邻居"}, "sms_consent": True, "altcha": SOLVE,
    }
    data.update(overrides)
    return data


def with_applicant(**fields: Any) -> dict[str, Any]:
    return online("申请人测试", applicant={"name": "李网申", "phone": phone(), **fields})


def encoded(payload: Any) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def forged_solution() -> str:
    """A challenge made and solved with a key that is not the service's."""
    made = altcha.create_challenge(algorithm="SHA-256", max_number=1000, hmac_key="not-the-service-key",
                                   expires=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    found = altcha.solve_challenge(made.challenge, made.salt, made.algorithm, made.max_number)
    return altcha.Payload(made.algorithm, made.challenge, found.number, made.salt, made.signature).to_base64()


def public_refused(api_key: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(label, method, path, httpx kwargs): each refused with a 4xx, storing nothing."""
    items: list[tuple[str, str, str, dict[str, Any]]] = []

    def body(label: str, data: Any, path: str = APPLY) -> None:
        items.append((label, "POST", path, {"json": data}))

    def raw(label: str, content: bytes, path: str = APPLY, content_type: str = "application/json") -> None:
        items.append((label, "POST", path, {"content": content, "headers": {"content-type": content_type}}))

    def form(label: str, data: dict[str, str], fmt: str = "json") -> None:
        items.append((label, "POST", f"{OPEN311}/requests.{fmt}", {"data": data}))

    def get(label: str, path: str, **params: str) -> None:
        items.append((label, "GET", path, {"params": params} if params else {}))

    # -- online filing: size and shape
    raw("filing: oversized body (1 MiB)", json.dumps(online(description="长" * 350_000) | {"altcha": "x"}).encode())
    raw("filing: just over 32 KiB", json.dumps(online(description="x" * 33_000) | {"altcha": "x"}).encode())
    items.append(("filing: oversized body, chunked, no Content-Length", "POST", APPLY,
                  {"content": _chunks([b'{"summary": "' + b"x" * 16384] * 4 + [b'"}']),
                   "headers": {"content-type": "application/json"}}))
    raw("filing: deep JSON arrays (40,000 levels)", ('{"kind":"dispute","summary":' + deep(40_000, "[", "]") + "}").encode())
    raw("filing: deep JSON objects (20,000 levels)", deep(20_000, '{"a":', "}").encode())
    body("filing: 100,000 numbers as the applicant", online() | {"applicant": list(range(100_000)), "altcha": "x"})
    # malformed JSON and other media
    raw("filing: truncated JSON", b'{"kind": "dispute", "summ')
    raw("filing: trailing comma", b'{"kind": "dispute",}')
    raw("filing: single-quoted JSON", b"{'kind': 'dispute'}")
    raw("filing: empty body", b"")
    raw("filing: JSON null", b"null")
    raw("filing: JSON array", b"[]")
    raw("filing: JSON string", b'"a petition"')
    raw("filing: headcount NaN (not JSON)", json.dumps(online() | {"altcha": "x"}).replace(
        '"sms_consent": true', '"headcount": NaN, "sms_consent": true').encode())
    raw("filing: XML body", b"<application><kind>dispute</kind>", content_type="application/xml")
    raw("filing: a form instead of JSON", b"kind=dispute&summary=x", content_type="application/x-www-form-urlencoded")
    raw("filing: invalid UTF-8", json.dumps(online("@@") | {"altcha": "x"}).encode().replace(b"@@", b"\xff\xfe\xc3"))
    raw("filing: lone surrogate escaped in a name",
        json.dumps(with_applicant(name="@@") | {"altcha": "x"}).replace("@@", "\\ud800").encode())
    # wrong types, missing and unknown fields
    for label, change in (("kind as a number", {"kind": 1}), ("applicant as a string", {"applicant": "张三"}),
                          ("headcount as words", {"headcount": "one"}), ("sms_consent as yes", {"sms_consent": "yes"}),
                          ("altcha as an object", {"altcha": {"number": 1}}),
                          ("division_code as a number", {"division_code": 140403100201}),
                          ("summary as a list", {"summary": ["x"]}), ("occurred_on as a number", {"occurred_on": 20261101}),
                          ("status forged", {"status": "closed"}),
                          ("received_at forged", {"received_at": "2020-01-01T00:00:00Z"}),
                          ("channel forged", {"channel": "station"}), ("kind unknown", {"kind": "lawsuit"}),
                          ("petition_type as SQL", {"petition_type": "appeal' OR 1=1--"})):
        body(f"filing: {label}", online() | change | {"altcha": "x"})
    body("filing: unknown field in the applicant", with_applicant(role="respondent") | {"altcha": "x"})
    body("filing: empty object", {})
    body("filing: no applicant", {k: v for k, v in online().items() if k != "applicant"} | {"altcha": "x"})
    # characters and injection that reach intake (a fresh solution each)
    body("filing: NUL byte in the name", with_applicant(name="张\u0000三"))
    body("filing: NUL byte in the summary", online("排水\u0000纠纷"))
    body("filing: NUL byte in the description", online(description="排水\u0000纠纷"))
    body("filing: right-to-left override in the name", with_applicant(name="张\u202e三"))
    body("filing: zero-width space in the name", with_applicant(name="张\u200b三"))
    body("filing: control character in the name", with_applicant(name="张\u0007三"))
    body("filing: emoji in the name", with_applicant(name="张三😀"))
    body("filing: Latin and Cyrillic mixed in one word", with_applicant(name="Ivаn Petrov"))
    body("filing: script injection as the name", with_applicant(name="<script>alert(1)</script>"))
    body("filing: SQL injection as the phone", with_applicant(phone="1'; DROP TABLE party;--"))
    body("filing: SQL injection as the division code", online(division_code="1' OR '1'='1"))
    body("filing: NUL in the division code", online(division_code="1404031\u000000201"))
    body("filing: SQL injection as the category", online(category="neighbour' OR 1=1--"))
    # numbers and dates
    for value in (-1, 0, 10_001, 10**30, 1e308):
        body(f"filing: headcount {value}", online(headcount=value) | {"altcha": "x"})
    for value in ("0001-01-01", "9999-12-31"):
        body(f"filing: occurred_on {value}", online(occurred_on=value))
    for value in ("+275760-09-13", "2026-02-30"):
        body(f"filing: occurred_on {value}", online(occurred_on=value) | {"altcha": "x"})
    # the proof of work
    body("challenge: no solution", {k: v for k, v in online().items() if k != "altcha"})
    body("challenge: empty solution", online(altcha=""))
    body("challenge: 5,000 characters", online(altcha="A" * 5000))
    body("challenge: not base64", online(altcha="!!!not-base64"))
    body("challenge: base64 of no JSON", online(altcha=base64.b64encode(b"hello").decode()))
    body("challenge: base64 of a JSON list", online(altcha=encoded([1, 2])))
    body("challenge: fields of the wrong types", online(altcha=encoded(
        {"algorithm": 1, "challenge": None, "number": "x", "salt": [], "signature": {}})))
    body("challenge: MD5 asked for", online(altcha=encoded(
        {"algorithm": "MD5", "challenge": "a", "number": 1, "salt": "s", "signature": "x"})))
    body("challenge: a number of 400 digits, an expiry past year 9999", online(altcha=encoded(
        {"algorithm": "SHA-256", "challenge": "a", "number": 10**400, "salt": "s?expires=" + "9" * 30,
         "signature": "x"})))
    body("challenge: NUL bytes in it", online(altcha=encoded(
        {"algorithm": "SHA-256", "challenge": "a\u0000", "number": 1, "salt": "s\u0000", "signature": "x\u0000"})))
    body("challenge: signed with another key (forged)", online(altcha=forged_solution()))
    items.append(("challenge: POST", "POST", "/api/v1/public/challenge", {"json": {}}))
    items.append(("challenge: DELETE", "DELETE", "/api/v1/public/challenge", {}))
    items.append(("places: POST", "POST", "/api/v1/public/places", {"json": {}}))
    items.append(("places: PUT", "PUT", "/api/v1/public/places", {"json": {}}))

    # -- the party's lookup and feedback
    for label, data in (("NUL in the reference", {"reference": "140403-2026-\u0000", "receipt_code": "ABCDEFGH"}),
                        ("SQL injection as the reference", {"reference": "' OR '1'='1", "receipt_code": "' OR '1'='1"}),
                        ("right-to-left override in the reference",
                         {"reference": "140403-2026-\u202e000001", "receipt_code": "ABCDEFGH"}),
                        ("41-character reference", {"reference": "1" * 41, "receipt_code": "ABCDEFGH"}),
                        ("21-character code", {"reference": "140403-2026-000001", "receipt_code": "A" * 21}),
                        ("reference as a number", {"reference": 140403, "receipt_code": "ABCDEFGH"}),
                        ("reference as an object", {"reference": {"$ne": None}, "receipt_code": "ABCDEFGH"}),
                        ("no receipt code", {"reference": "140403-2026-000001"}),
                        ("unknown field", {"reference": "140403-2026-000001", "receipt_code": "ABCDEFGH",
                                           "admin": True})):
        body(f"lookup: {label}", data, LOOKUP)
    raw("lookup: lone surrogate escaped", b'{"reference": "\\ud800", "receipt_code": "ABC"}', LOOKUP)
    raw("lookup: oversized body (1 MiB)", json.dumps({"reference": "1", "receipt_code": "x" * 1_048_576}).encode(),
        LOOKUP)
    raw("lookup: truncated JSON", b'{"reference": "1404', LOOKUP)
    for label, data in (("rating not in the list", {"rating": "excellent"}), ("proceeding 10^30", {"proceeding": 10**30}),
                        ("proceeding 0", {"proceeding": 0}), ("comment of 1,001 characters", {"comment": "好" * 1001}),
                        ("NUL in the comment", {"comment": "很好\u0000"})):
        body(f"feedback: {label}",
             {"reference": "140403-2026-999999", "receipt_code": "ABCDEFGH", "rating": "satisfied", **data}, FEEDBACK)

    # -- Open311: filing with a form
    def spec_form(**fields: str) -> dict[str, str]:
        return {"api_key": api_key, "service_code": "dispute.neighbour", "phone": phone(), "first_name": "网报",
                "last_name": "欧阳", "description": "排水沟堵塞，雨水倒灌进院子。",
                "attribute[division_code]": "140403100201", "attribute[summary]": "排水沟堵塞纠纷", **fields}

    for fmt in ("json", "xml"):
        form(f"open311 {fmt}: oversized form", spec_form(description="长" * 12_000), fmt)
        form(f"open311 {fmt}: no api_key", {k: v for k, v in spec_form().items() if k != "api_key"}, fmt)
        form(f"open311 {fmt}: forged api_key", spec_form(api_key="o311_forged"), fmt)
    form("open311: api_key with a NUL", spec_form(api_key="o311_\u0000"))
    form("open311: api_key of 10,000 characters", spec_form(api_key="k" * 10_000))
    form("open311: no service_code", {k: v for k, v in spec_form().items() if k != "service_code"})
    form("open311: SQL injection as the service_code", spec_form(service_code="dispute.neighbour' OR 1=1--"))
    form("open311: NUL in the service_code", spec_form(service_code="dispute.neighbour\u0000"))
    form("open311: NUL in the description", spec_form(description="排水\u0000"))
    form("open311: NUL in the first name", spec_form(first_name="网\u0000报"))
    form("open311: NUL in the division", spec_form(**{"attribute[division_code]": "1404031\u000000201"}))
    form("open311: SQL injection as the division", spec_form(**{"attribute[division_code]": "1' OR '1'='1"}))
    form("open311: SQL injection as the phone", spec_form(phone="1'; DROP TABLE party;--"))
    form("open311: first name of 10,000 characters", spec_form(first_name="名" * 10_000))
    form("open311: petition_type as SQL", spec_form(service_code="petition.social_security",
                                                    **{"attribute[division_code]": "140403001001",
                                                       "attribute[petition_type]": "x'; DROP TABLE case_file;--"}))
    form("open311: respondent_kind as script", spec_form(**{"attribute[respondent_name]": "王家",
                                                            "attribute[respondent_kind]": "<script>"}), "xml")
    items.append(("open311: invalid UTF-8 in the form", "POST", f"{OPEN311}/requests.json",
                  {"content": f"api_key={api_key}&service_code=dispute.neighbour&phone=13812345678&first_name=%ff"
                              "&description=d&attribute%5Bdivision_code%5D=140403100201".encode(),
                   "headers": {"content-type": "application/x-www-form-urlencoded"}}))
    items.append(("open311: torn multipart form", "POST", f"{OPEN311}/requests.json",
                  {"content": b'--a\r\nContent-Disposition: form-data; name="api_key"\r\n\r\nx',
                   "headers": {"content-type": "multipart/form-data; boundary=b"}}))
    items.append(("open311: multipart without a boundary", "POST", f"{OPEN311}/requests.xml",
                  {"content": b"abc", "headers": {"content-type": "multipart/form-data"}}))
    items.append(("open311: JSON instead of a form", "POST", f"{OPEN311}/requests.json", {"json": {"api_key": api_key}}))
    items.append(("open311: malformed XML instead of a form", "POST", f"{OPEN311}/requests.xml",
                  {"content": b"<service_request><api_key>", "headers": {"content-type": "text/xml"}}))
    # -- Open311: reading
    for fmt in ("json", "xml"):
        get(f"open311 {fmt}: start_date not a date", f"{OPEN311}/requests.{fmt}", start_date="yesterday")
        get(f"open311 {fmt}: end_date in year 1", f"{OPEN311}/requests.{fmt}", end_date="0001-01-01T00:00:00Z")
        get(f"open311 {fmt}: NUL in service_request_id", f"{OPEN311}/requests.{fmt}", service_request_id="a\u0000b")
        get(f"open311 {fmt}: NUL in a request id", f"{OPEN311}/requests/140403-2026-%00.{fmt}")
        get(f"open311 {fmt}: SQL injection as a request id", f"{OPEN311}/requests/1'%20OR%20'1'='1.{fmt}")
        get(f"open311 {fmt}: NUL in a token", f"{OPEN311}/tokens/a%00b.{fmt}")
        get(f"open311 {fmt}: NUL in a service code", f"{OPEN311}/services/a%00b.{fmt}")
    get("open311: start_date in year 1, a span of centuries", f"{OPEN311}/requests.json",
        start_date="0001-01-01T00:00:00Z")
    get("open311: start_date in year 275760", f"{OPEN311}/requests.json", start_date="+275760-09-13T00:00:00")
    get("open311: dates in year 10000 (UTC)", f"{OPEN311}/requests.json", start_date="9999-12-30T00:00:00-14:00",
        end_date="9999-12-31T23:59:59-14:00")
    get("open311: status as SQL", f"{OPEN311}/requests.json", status="open' OR 1=1--")
    get("open311: a request id of 10,000 characters", f"{OPEN311}/requests/{'1' * 10_000}.json")
    get("open311: script as a request id", f"{OPEN311}/requests/%3Cscript%3E.xml")
    get("open311: neither .json nor .xml", f"{OPEN311}/requests/140403-2026-000001.yaml")
    return items


def public_verbatim() -> list[tuple[str, dict[str, Any], str, str]]:
    """(label, filing, column, value): legitimate online filings, stored exactly."""
    return [
        ("a Uyghur name written in Han with a middle dot", with_applicant(name="买买提·艾力"), "name", "买买提·艾力"),
        ("SQL in the description (free text)", online(description="'; DROP TABLE case_file; --"), "description",
         "'; DROP TABLE case_file; --"),
        ("HTML in the summary (free text)", online("<b>排水</b><script>alert(1)</script>"), "summary",
         "<b>排水</b><script>alert(1)</script>"),
    ]


def spec_error(response: httpx.Response, path: str) -> bool:
    """The Open311 specification's error, in the format the path asks for, with the answer's status."""
    try:
        if path.split("?", 1)[0].endswith(".xml"):
            if response.headers.get("content-type") != "text/xml; charset=utf-8":
                return False
            error = ElementTree.fromstring(response.content).find("error")
            return error is not None and error.findtext("code") == str(response.status_code) and bool(
                error.findtext("description"))
        errors = response.json()
        return (response.headers.get("content-type") == "application/json" and isinstance(errors, list)
                and errors[0]["code"] == response.status_code and bool(errors[0]["description"]))
    except (ValueError, ElementTree.ParseError, KeyError, IndexError, TypeError):
        return False


async def _public_counts(conn) -> dict[str, int]:
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in (*PUBLIC_TABLES, *BOOKKEEPING)}


async def solution(party: httpx.AsyncClient) -> str:
    """Solve the service's challenge as the widget would."""
    challenge = (await party.get("/api/v1/public/challenge")).json()
    found = altcha.solve_challenge(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                   challenge["maxnumber"])
    return altcha.Payload(challenge["algorithm"], challenge["challenge"], found.number, challenge["salt"],
                          challenge["signature"]).to_base64()


async def test_the_public_endpoints_refuse_hostile_input_and_store_nothing(service_factory, request):
    """Online filing, the challenge, places, the party's lookup and feedback,
    and Open311 (forms in, JSON and XML out): each hostile request is refused
    with a 4xx (problem+json; on Open311, the specification's errors in the
    path's format) and leaves every case table as it was; replayed and forged
    solutions file nothing; legitimate look-alikes are stored verbatim. The
    service believes X-Forwarded-For from loopback, as behind nginx, and each
    request comes from an address of its own: a refusal is the input's doing,
    not a throttle's."""
    service = await service_factory("hostile-public", {"CASEWORK_FORWARDED_ALLOW_IPS": "127.0.0.1"})
    conn = await asyncpg.connect(service.database_url)
    failures: list[str] = []
    refused = verbatim = 0
    statuses: Counter = Counter()
    addresses = itertools.count(1)

    def address() -> dict[str, str]:
        n = next(addresses)
        return {"X-Forwarded-For": f"198.18.{n // 250}.{n % 250 + 1}"}

    try:
        async with client(service.base_url, service.token("admin")) as admin:
            issued = await admin.post("/api/v1/open311/apps", json={"name": "hostile", "contact": "x@example.cn"})
            assert issued.status_code == 201, issued.text
        plan = public_refused(issued.json()["api_key"])
        bookkeeping = dict.fromkeys(BOOKKEEPING, 0)
        async with client(service.base_url) as party:
            for label, method, path, kwargs in plan:
                if isinstance(kwargs.get("json"), dict) and kwargs["json"].get("altcha") is SOLVE:
                    kwargs = {**kwargs, "json": kwargs["json"] | {"altcha": await solution(party)}}
                kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), **address()}}
                before = await _public_counts(conn)
                try:
                    response = await party.request(method, path, **kwargs)
                except httpx.HTTPError as exc:
                    failures.append(f"{label}: no answer ({type(exc).__name__})")
                    continue
                after = await _public_counts(conn)
                for table in BOOKKEEPING:
                    bookkeeping[table] += after[table] - before[table]
                changed = {t: after[t] - before[t] for t in PUBLIC_TABLES if after[t] != before[t]}
                statuses[response.status_code] += 1
                shaped = (spec_error(response, path) if path.startswith(OPEN311) else
                          response.headers.get("content-type", "").startswith("application/problem+json"))
                if not (400 <= response.status_code < 500) or not shaped or changed:
                    failures.append(f"{label}: {response.status_code} {response.headers.get('content-type')} "
                                    f"stored {changed} {response.text[:200]}")
                else:
                    refused += 1

            # A solution files once: the filing, its retry, then the same solution again.
            replays = []
            spent = await solution(party)
            first_body = online("重放测试", altcha=spent)
            first = await party.post(APPLY, json=first_body, headers={"Idempotency-Key": "hostile-replay-1", **address()})
            if first.status_code != 201:
                failures.append(f"replay: the first filing was refused {first.status_code} {first.text[:200]}")
            for label, data, key, want in (
                    ("the retry with its key answers the first receipt", first_body, "hostile-replay-1", 200),
                    ("the spent solution on another filing", online("重放测试二", altcha=spent), "hostile-replay-2", 422),
                    ("the spent solution without a key", first_body, None, 422),
                    ("the first key on another filing", online("重放测试三", altcha=await solution(party)),
                     "hostile-replay-1", 422)):
                before = await _public_counts(conn)
                headers = {**address(), **({"Idempotency-Key": key} if key else {})}
                response = await party.post(APPLY, json=data, headers=headers)
                changed = {t: v - before[t] for t, v in (await _public_counts(conn)).items()
                           if t in PUBLIC_TABLES and v != before[t]}
                ok = response.status_code == want and not changed and (
                    want != 200 or response.json()["reference"] == first.json()["reference"])
                replays.append(label)
                if not ok:
                    failures.append(f"replay: {label}: {response.status_code} stored {changed} {response.text[:200]}")

            for label, data, column, value in public_verbatim():
                data = data | {"altcha": await solution(party)}
                response = await party.post(APPLY, json=data, headers=address())
                if response.status_code != 201:
                    failures.append(f"{label}: refused {response.status_code} {response.text[:200]}")
                    continue
                reference = response.json()["reference"]
                if column == "name":
                    stored = await conn.fetchval(
                        """SELECT p.name FROM party p JOIN case_file c ON c.id = p.case_id
                           WHERE c.reference = $1 AND p.role = 'applicant'""", reference)
                else:
                    stored = await conn.fetchval(f"SELECT {column} FROM case_file WHERE reference = $1", reference)
                if stored != value:
                    failures.append(f"{label}: stored {stored!r}")
                else:
                    verbatim += 1
        # Every online filing whole (taken in as the online-filing principal; the demo's staff-registered
        # "online" petition is not one): its applicant, its proceeding awaiting registration, its events,
        # each in the outbox.
        broken = [dict(r) for r in await conn.fetch(
            """SELECT c.reference,
                      EXISTS (SELECT 1 FROM party p WHERE p.case_id = c.id AND p.role = 'applicant') AS applicant,
                      (SELECT p.state FROM proceeding p WHERE p.id = c.current_proceeding_id) AS state,
                      (SELECT count(*) FROM case_event e WHERE e.case_id = c.id) AS events,
                      (SELECT count(*) FROM outbox o WHERE o.case_id = c.id) AS outbox,
                      EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = c.id
                              AND e.type = 'application_submitted_online') AS submitted
               FROM case_file c JOIN app_user u ON u.id = c.created_by WHERE u.username = 'online-filing'""")]
        broken = [r for r in broken if not (r["applicant"] and r["state"] == "submitted_online"
                                            and r["events"] == r["outbox"] and r["submitted"])]
        if broken:
            failures.append(f"online filings not whole: {broken}")
        tables_intact = all([await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", t) for t in PUBLIC_TABLES])
    finally:
        await conn.close()
    errors = service.log_errors()
    total = len(plan)
    harness.record(harness.Row(
        check="Hostile input: public endpoints",
        tried="online filing (oversized and chunked bodies, malformed JSON, XML and forms, deep JSON, wrong types, "
              "forged fields, NUL/bidi/zero-width/control characters, emoji and mixed scripts in names, injection "
              "in codes and phones, absurd numbers and dates; proof of work missing, malformed, forged with another "
              "key, replayed), the challenge and places (wrong methods), the party's lookup and feedback, Open311 "
              "forms and reads in JSON and XML (oversized, torn multipart, bad keys, NUL, injection, dates out of "
              "range); plus legitimate look-alikes",
        amount=f"{total} hostile requests, {len(replays)} replays, {len(public_verbatim())} legitimate filings",
        held=f"{refused}/{total} refused with a 4xx (problem+json; Open311 in its own error format) storing nothing; "
             f"replayed solutions filed nothing, the retry with its key answered the first receipt; "
             f"{verbatim}/{len(public_verbatim())} legitimate filings stored verbatim; every online filing whole; "
             f"tables intact: {tables_intact}; errors logged: {len(errors)}",
        lost="nothing stored by a refused request" if not failures else f"{len(failures)} failures",
        ok=not failures and tables_intact and not errors,
        figures={"nodeid": request.node.nodeid, "statuses": dict(sorted(statuses.items())),
                 "bookkeeping": bookkeeping, "failures": failures, "logged_errors": errors[:5]},
    ))
    assert not failures, "\n".join(failures)
    assert tables_intact
    assert not errors, errors[:5]
