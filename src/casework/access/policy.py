"""The role x permission matrix, read from ``data/policy.json``."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

ROLES = ("clerk", "mediator", "officer", "supervisor", "admin", "auditor")


@lru_cache(maxsize=1)
def matrix() -> dict[str, frozenset[str]]:
    raw = json.loads(resources.files("casework.access").joinpath("data", "policy.json").read_text("utf-8"))
    return {perm: frozenset(roles) for perm, roles in raw["permissions"].items()}


def allowed(role: str, permission: str) -> bool:
    return role in matrix()[permission]
