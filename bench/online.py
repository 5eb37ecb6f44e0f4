"""The online-filing measure: ``POST /api/v1/public/applications`` through
the served app, each filing with a challenge fetched fresh from the service
and solved by the client, as a citizen's browser does.

Solving is the client's CPU (some 50,000 SHA-256 hashes on average at the
default ``CASEWORK_ALTCHA_MAX_NUMBER``), so it is done before the timed
window, in a pool of processes; the window holds only the filings, so the
figure is the service's cost: verifying and spending the solution, the
throttles, the duplicate check and intake's writes. The challenges are
fetched over HTTP before solving (that rate is reported apart) and each is
used once, within its 20 minutes.

Each filing comes from an address of its own (``X-Forwarded-For``, which
the bench's ``casework serve --forwarded-allow-ips 127.0.0.1`` believes, as
production behind nginx does) for a village drawn from the places the form
offers (``GET /api/v1/public/places``), with its own phone, text and
``Idempotency-Key``: many citizens filing once each, so neither the
per-address limit (10 a day) nor the per-division one (200 a day) refuses a
filing, and the production defaults stay as they are. A refused filing is
an error of the run.

The client is httpx in the bench process, not wrk: a filing cannot be sent
twice (its solution is spent), so a run is a fixed number of pre-solved
filings on ``connections`` connections, timed from the first sent to the
last answered. Its own CPU time in the window is reported.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import secrets
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

CATEGORIES = ("neighbour", "contract", "labour_wage", "marriage_family", "property_management")
PATH = "/api/v1/public/applications"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def solve(challenge: dict[str, Any]) -> tuple[str, float]:
    """One challenge solved as the widget does: (the ``altcha`` payload, seconds it took)."""
    from altcha import v1 as altcha

    started = time.perf_counter()
    solution = altcha.solve_challenge(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                      challenge["maxnumber"])
    seconds = time.perf_counter() - started
    if solution is None:  # pragma: no cover - the number is within maxnumber by construction
        raise RuntimeError("a challenge had no solution")
    payload = altcha.Payload(challenge["algorithm"], challenge["challenge"], solution.number, challenge["salt"],
                             challenge["signature"]).to_base64()
    return payload, seconds


class OnlineFilings:
    """Fetches, solves and files; one instance per bench run (addresses and phones never repeat)."""

    def __init__(self, base_url: str, places: list[str], connections: int) -> None:
        self.base_url = base_url
        self.places = places
        self.connections = connections
        self.filed = 0  # every filing ever made here: a new address, phone and text each
        self.rng = random.Random(11)
        # Spawned, not forked: the bench process runs threads (the memory sampler, wrk's).
        self.pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1,
                                        mp_context=multiprocessing.get_context("spawn"))

    def close(self) -> None:
        self.pool.shutdown()

    async def _challenges(self, count: int) -> tuple[list[dict[str, Any]], float]:
        import httpx

        limits = httpx.Limits(max_connections=self.connections)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30, limits=limits) as client:
            queue = list(range(count))
            out: list[dict[str, Any]] = []

            async def worker() -> None:
                while queue:
                    queue.pop()
                    response = await client.get("/api/v1/public/challenge")
                    response.raise_for_status()
                    out.append(response.json())

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(self.connections)))
            return out, time.perf_counter() - started

    def prepare(self, count: int, run: int) -> tuple[list[tuple[dict[str, str], dict[str, Any]]], dict[str, Any]]:
        """``count`` filings ready to send: (headers, body), each with a fresh challenge solved."""
        challenges, fetch_seconds = asyncio.run(self._challenges(count))
        started = time.perf_counter()
        solved = list(self.pool.map(solve, challenges, chunksize=max(1, count // (4 * (os.cpu_count() or 1)))))
        solve_wall = time.perf_counter() - started
        filings = []
        for payload, _seconds in solved:
            self.filed += 1
            n = self.filed
            phone = f"137{n:08d}"
            body = {
                "kind": "dispute", "category": CATEGORIES[n % len(CATEGORIES)],
                "division_code": self.rng.choice(self.places),
                "summary": f"网上压测纠纷 {run}-{n}",
                "description": f"网上申请压测 {run}-{n}：邻居排水流入院内，多次沟通未果，请求调解。",
                "applicant": {"name": f"网申人{n}", "phone": phone},
                "respondent": {"kind": "person", "name": f"被申请人{n}"},
                "sms_consent": n % 2 == 0, "altcha": payload,
            }
            headers = {"Idempotency-Key": f"bench-online-{run}-{n}-{secrets.token_hex(4)}",
                       "X-Forwarded-For": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"}
            filings.append((headers, body))
        times = [s for _p, s in solved]
        return filings, {"max_number": challenges[0]["maxnumber"], "challenges_fetched": count, "challenge_fetch_seconds": fetch_seconds,
                         "challenges_per_second": count / fetch_seconds if fetch_seconds else 0.0,
                         "solve_wall_seconds": solve_wall, "solve_processes": os.cpu_count() or 1,
                         "solve_seconds_mean": sum(times) / len(times), "solve_seconds_p50": _pct(times, 0.5),
                         "solve_seconds_p99": _pct(times, 0.99), "solve_seconds_max": max(times)}

    async def _send(self, filings: list[tuple[dict[str, str], dict[str, Any]]]) -> dict[str, Any]:
        import httpx

        limits = httpx.Limits(max_connections=self.connections, max_keepalive_connections=self.connections)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30, limits=limits) as client:
            # One request first on each connection, untimed: the connections are open before the window.
            await asyncio.gather(*(client.get("/health") for _ in range(self.connections)))
            pending = list(reversed(filings))
            answers: list[tuple[float, int]] = []
            refusals: Counter = Counter()

            async def worker() -> None:
                while pending:
                    headers, body = pending.pop()
                    started = time.perf_counter()
                    try:
                        response = await client.post(PATH, json=body, headers=headers)
                    except httpx.HTTPError as exc:
                        answers.append(((time.perf_counter() - started) * 1000, 0))
                        refusals[type(exc).__name__] += 1
                        continue
                    answers.append(((time.perf_counter() - started) * 1000, response.status_code))
                    if response.status_code != 201:
                        refusals[f"{response.status_code} {response.text[:120]}"] += 1

            cpu = time.process_time()
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(self.connections)))
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
        latencies = [ms for ms, _status in answers]
        ok = sum(1 for _ms, status in answers if status == 201)
        return {"requests": len(answers), "seconds": seconds, "per_second": ok / seconds, "ok": ok,
                "errors": len(answers) - ok, "statuses": dict(Counter(str(s) for _ms, s in answers)),
                "refusals": dict(refusals.most_common(5)),
                "p50_ms": _pct(latencies, 0.5), "p90_ms": _pct(latencies, 0.9), "p99_ms": _pct(latencies, 0.99),
                "max_ms": max(latencies), "client_cpu_seconds": cpu}

    def run(self, count: int, run: int) -> dict[str, Any]:
        """``count`` filings prepared, then sent and timed."""
        filings, prepared = self.prepare(count, run)
        return {**asyncio.run(self._send(filings)), **prepared}
