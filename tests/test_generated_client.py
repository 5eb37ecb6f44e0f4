"""A client generated from the served OpenAPI document by a real generator
(openapi-python-client) does a mobile front end's work end to end, with
typed models and no UnexpectedStatus: sign in, register a case with an
Idempotency-Key and replay it, act with If-Match and handle a 412, page a
list, read the sync feed."""

from __future__ import annotations

import importlib
import json
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import petition

pytestmark = pytest.mark.heavy

PACKAGE = "casework_generated_client"


@pytest.fixture(scope="module")
async def generated(anon, tmp_path_factory):
    folder = tmp_path_factory.mktemp("client")
    document = (await anon.get("/schema/openapi.json")).json()
    (folder / "openapi.json").write_text(json.dumps(document))
    # The generator reads JSON, text and octet-stream bodies; a DOCX template
    # (its true media type in the document) is read as bytes, as any client would.
    (folder / "config.yml").write_text(
        "post_hooks: []\ncontent_type_overrides:\n"
        "  application/vnd.openxmlformats-officedocument.wordprocessingml.document: application/octet-stream\n")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("openapi-python-client")), "generate", "--path", "openapi.json",
         "--output-path", PACKAGE, "--meta", "none", "--config", "config.yml"],
        cwd=folder, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]


def _client(generated, app, token: str | None = None):
    transport = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://casework.test",
                                  headers={"Authorization": f"Bearer {token}"} if token else {})
    if token is None:
        return generated.Client(base_url="http://casework.test").set_async_httpx_client(transport)
    return generated.AuthenticatedClient(base_url="http://casework.test", token=token).set_async_httpx_client(
        transport)


async def _signed_in(generated, app, role: str, body: str) -> object:
    from casework.access.service import create_user

    token_api = importlib.import_module(f"{PACKAGE}.api.auth.token")
    models = importlib.import_module(f"{PACKAGE}.models")
    name, password = f"gen_{role}_{secrets.token_hex(3)}", "pw-" + secrets.token_hex(8)
    await create_user(username=name, password=password, role=role, jurisdiction="140403", body_code=body)
    answer = await token_api.asyncio_detailed(client=_client(generated, app),
                                              body=models.TokenRequest(username=name, password=password))
    assert answer.status_code == 200, answer.content
    return _client(generated, app, answer.parsed.access_token)


async def test_a_generated_client_registers_replays_acts_pages_and_syncs(generated, app):
    api = f"{PACKAGE}.api"
    models = importlib.import_module(f"{PACKAGE}.models")
    create_case = importlib.import_module(f"{api}.cases.create_case")
    get_case = importlib.import_module(f"{api}.cases.get_case")
    list_cases = importlib.import_module(f"{api}.cases.list_cases")
    accept = importlib.import_module(f"{api}.proceedings.accept_action")
    changes = importlib.import_module(f"{api}.sync.changes")

    clerk = await _signed_in(generated, app, "clerk", "140403-ROL")
    officer = await _signed_in(generated, app, "officer", "140403-PB")

    draft = models.CaseCreate.from_dict(petition(summary="生成客户端登记"))
    key = "gen-" + secrets.token_hex(6)
    created = await create_case.asyncio_detailed(client=clerk, body=draft, idempotency_key=key)
    assert created.status_code == 201
    case = created.parsed
    assert isinstance(case, models.CaseCreated) and case.receipt_code
    replay = await create_case.asyncio_detailed(client=clerk, body=draft, idempotency_key=key)
    assert replay.status_code == 200 and isinstance(replay.parsed, models.CaseCreated)
    assert replay.parsed.id == case.id

    read = await get_case.asyncio_detailed(client=officer, reference=case.reference)
    assert read.status_code == 200 and isinstance(read.parsed, models.CaseDetail)
    etag = read.headers["etag"]
    assert "accept" in read.parsed.allowed_actions

    accepted = await accept.asyncio_detailed(client=officer, reference=case.reference, if_match=etag,
                                             body=accept.AcceptActionAccept())
    assert accepted.status_code == 200 and isinstance(accepted.parsed, models.CaseDetail)
    assert accepted.parsed.stage == "accepted"
    stale = await accept.asyncio_detailed(client=officer, reference=case.reference, if_match=etag,
                                          body=accept.AcceptActionAccept())
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)

    other = await create_case.asyncio_detailed(client=clerk, body=models.CaseCreate.from_dict(petition()))
    assert other.status_code == 201
    first = await list_cases.asyncio_detailed(client=clerk, limit=1)
    assert first.status_code == 200 and isinstance(first.parsed, models.CasePage)
    assert first.parsed.has_more and first.parsed.next_cursor
    second = await list_cases.asyncio_detailed(client=clerk, limit=1, cursor=first.parsed.next_cursor)
    assert second.status_code == 200 and second.parsed.items[0].id < first.parsed.items[0].id

    feed = await changes.asyncio_detailed(client=clerk)
    assert feed.status_code == 200
    assert not isinstance(feed.parsed, models.Problem)
    assert feed.parsed.next_cursor
