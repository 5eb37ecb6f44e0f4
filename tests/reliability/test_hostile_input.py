"""Hostile input: a corpus a generator will not think of (this file) and
schemathesis against the service's own OpenAPI (test_schemathesis.py).

Each hostile request is refused with a 4xx problem+json and stores nothing;
a few that look hostile but are legitimate (names in two scripts, SQL or
HTML in free text) are stored exactly as sent and do nothing else."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx
import pytest

from tests.reliability import harness
from tests.reliability.load import client, draft, today
from tests.support import person

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
