"""schemathesis against the service's own OpenAPI (/schema/openapi.json),
with a token for each role: generated requests, valid and invalid, go to
the running service on 127.0.0.1 only. No 5xx, every error problem+json,
and what is served matches the schema (content types, response bodies)."""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter

import pytest

from casework.access.policy import ROLES  # every role; the demo seed has a user named after each
from tests.reliability import harness

pytestmark = pytest.mark.reliability


def fuzz(base_url: str, tokens: dict[str, str], examples: int, seed: int) -> dict:
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    )

    schema = schemathesis.openapi.from_url(base_url + "/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    sessions = [requests.Session()]
    figures = {"requests": 0, "operations": len(operations), "statuses": Counter(), "by_role": Counter(),
               "server_errors": [], "not_problem_json": [], "schema_mismatch": [], "not_local": 0,
               "no_invalid_form": set(), "connection_400": []}
    previous = [""]
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance,
              response_headers_conformance]

    for role in ROLES:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)

                @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                          suppress_health_check=list(HealthCheck), phases=[Phase.generate], print_blob=False)
                @given(case=strategy)
                def run(case) -> None:  # called at once, in this iteration: the loop variables are current
                    url = case.formatted_path
                    if not base_url.startswith("http://127.0.0.1:"):  # never anywhere but loopback
                        figures["not_local"] += 1
                        return
                    try:
                        response = case.call(base_url=base_url, session=sessions[0], headers=headers, timeout=15)  # noqa: B023
                        if response.status_code == 400 and response.text.startswith("Invalid HTTP request received"):
                            # uvicorn's own answer when it cannot parse what
                            # arrived on a kept-alive connection: seen once in a
                            # CI run (session 24) on a plain GET, not reproduced.
                            # Kept in the report with the request before it;
                            # the request is made again on a new connection and
                            # judged by that answer.
                            figures["connection_400"].append(f"{case.method} {url} after {previous[0]}")
                            sessions[0] = requests.Session()
                            response = case.call(base_url=base_url, session=sessions[0], headers=headers,  # noqa: B023
                                                 timeout=15)
                    except requests.RequestException as exc:
                        figures["server_errors"].append(f"{case.method} {url}: no answer {type(exc).__name__}")
                        return
                    previous[0] = f"{case.method} {url} ({response.status_code})"
                    figures["requests"] += 1
                    figures["by_role"][role] += 1  # noqa: B023
                    figures["statuses"][response.status_code] += 1
                    label = f"{role} {case.method} {url} -> {response.status_code}"  # noqa: B023
                    if response.status_code >= 500:
                        figures["server_errors"].append(f"{label}: {response.text[:200]}")
                    content_type = response.headers.get("content-type") or ""
                    if isinstance(content_type, list):  # schemathesis keeps every value of a header
                        content_type = content_type[0] if content_type else ""
                    if response.status_code >= 400 and not content_type.startswith("application/problem+json"):
                        figures["not_problem_json"].append(f"{label}: {content_type}")
                    try:
                        case.validate_response(response, checks=checks)
                    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - schemathesis' Failure(Group)
                        if response.status_code < 500:
                            figures["schema_mismatch"].append(f"{label}: {str(exc).strip().splitlines()[0][:200]}")

                random.seed(seed)
                try:
                    run()
                except Unsatisfiable:
                    # An operation whose every input is free-form (or that takes
                    # none) has no invalid request to make; a valid one that
                    # cannot be made is a broken schema.
                    label = f"{operation.method.upper()} {operation.path}"
                    if mode is GenerationMode.POSITIVE:
                        figures["schema_mismatch"].append(f"{role} {label}: no valid request can be generated")
                    else:
                        figures["no_invalid_form"].add(label)
    figures["statuses"] = {str(k): v for k, v in sorted(figures["statuses"].items())}
    figures["by_role"] = dict(figures["by_role"])
    figures["no_invalid_form"] = sorted(figures["no_invalid_form"])
    return figures


async def test_generated_requests_for_every_role_get_no_5xx_and_match_the_schema(service_factory, request):
    service = await service_factory("schemathesis")
    examples = int(os.environ.get("CASEWORK_SCHEMATHESIS_EXAMPLES") or harness.size(8, 50))
    seed = int(os.environ.get("CASEWORK_SCHEMATHESIS_SEED") or random.randrange(1 << 30))
    tokens = {role: service.token(role) for role in ROLES}
    figures = await asyncio.to_thread(fuzz, service.base_url, tokens, examples, seed)
    logged = service.log_errors()
    ok = not figures["server_errors"] and not figures["not_problem_json"] and not figures["schema_mismatch"] \
        and not logged and not figures["not_local"]
    harness.record(harness.Row(
        check="Hostile input: schemathesis",
        tried=f"schemathesis {__import__('schemathesis').__version__} on /schema/openapi.json, valid and invalid "
              f"data for each of {figures['operations']} operations, as each of {len(ROLES)} roles "
              f"({', '.join(ROLES)}); up to {examples} examples per operation, mode and role; seed {seed}",
        amount=f"{figures['requests']} requests ({', '.join(f'{r} {n}' for r, n in figures['by_role'].items())})",
        held=f"5xx {len(figures['server_errors'])}, errors not problem+json {len(figures['not_problem_json'])}, "
             f"responses not matching the schema {len(figures['schema_mismatch'])}; statuses "
             f"{', '.join(f'{k}: {v}' for k, v in figures['statuses'].items())}; "
             f"operations with no invalid form {len(figures['no_invalid_form'])}; "
             f"uvicorn's own 400 on a kept-alive connection, made again on a new one "
             f"{len(figures['connection_400'])}",
        lost="—",
        ok=ok,
        figures={"nodeid": request.node.nodeid, "seed": seed, "examples": examples,
                 **{k: (v[:10] if isinstance(v, list) else v) for k, v in figures.items()},
                 "logged_errors": logged[:5]},
    ))
    assert not figures["server_errors"], "\n".join(figures["server_errors"][:20])
    assert not figures["not_problem_json"], "\n".join(figures["not_problem_json"][:20])
    assert not figures["schema_mismatch"], "\n".join(figures["schema_mismatch"][:20])
    assert not logged, logged[:5]
