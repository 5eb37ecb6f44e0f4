"""Builders for test data: valid identity numbers, phones, case drafts."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from stdnum.cn import ric

_counter = itertools.count(1)


def id_number(region: str = "140403", birth: str | None = None, seq: int | None = None) -> str:
    """A valid 18-character resident identity number (right check character),
    a new one on every call unless ``birth`` and ``seq`` are given: the
    sequence has three digits, so every thousandth person is born a day
    later (a suite makes thousands of people; two alike would be a
    possible repeat of each other)."""
    n = next(_counter)
    if birth is None:
        birth = (dt.date(1980, 1, 1) + dt.timedelta(days=n // 1000)).strftime("%Y%m%d")
    body = f"{region}{birth}{(seq if seq is not None else n % 1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def phone() -> str:
    return "138" + f"{random.randrange(10**8):08d}"


def person(role: str = "applicant", **extra) -> dict:
    data = {"role": role, "kind": "person", "name": extra.pop("name", f"张{next(_counter)}"),
            "id_number": id_number(), "phone": phone(), "address": "长治市潞州区东街1号"}
    data.update(extra)
    return data


def dispute(**overrides) -> dict:
    """A neighbour dispute between two villagers of Guancun, Luzhou district."""
    data = {
        "kind": "dispute",
        "channel": "station",
        "category": "neighbour",
        "summary": "宅基地边界排水纠纷",
        "description": "雨季排水流入邻居院内，双方多次争执。",
        "division_code": "140403100201",
        "occurred_on": "2026-11-01",
        "headcount": 1,
        "risk_level": "low",
        "parties": [person("applicant"), person("respondent")],
    }
    data.update(overrides)
    return data


def petition(**overrides) -> dict:
    data = {
        "kind": "petition",
        "petition_type": "appeal",
        "channel": "visit",
        "category": "social_security",
        "summary": "养老保险待遇核定有误",
        "division_code": "140403001001",
        "headcount": 1,
        "risk_level": "low",
        "parties": [person("applicant"),
                    {"role": "respondent", "kind": "organization", "name": "某社区居委会"}],
    }
    data.update(overrides)
    return data


async def act(client, reference: str, action: str, body: dict | None = None, *, etag: str | None = None):
    """Take an action with the case's current ETag (read first unless given)."""
    if etag is None:
        etag = (await client.get(f"/api/v1/cases/{reference}")).headers["etag"]
    return await client.post(f"/api/v1/cases/{reference}/actions/{action}", json=body or {},
                             headers={"If-Match": etag})


def on(day: str, at: str = "10:00"):
    """The service lives on a statutory date for the block (Beijing time):
    ``with on("2026-11-03"): ...`` (casework.timeutil.travel_to)."""
    from casework import timeutil

    return timeutil.travel_to(f"{day}T{at}:00+08:00")
