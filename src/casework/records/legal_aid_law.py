"""What the Legal Aid Law names, as data (``data/legal_aid.json``, with its
source): decisions and outcomes in the law's words (给予 / 不予 / 终止), the
priority grounds and the windows that make an application urgent (art.
44), the means-test waivers (arts. 32, 42), the termination reasons (art.
48) and the kinds of legal-aid worker (法律援助人员)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Term:
    code: str
    name_zh: str
    name_en: str
    article: str


@dataclass(frozen=True)
class WorkerKind(Term):
    aid_types: frozenset[str]  # empty: any


@dataclass(frozen=True)
class LegalAidLaw:
    source: str
    decisions: dict[str, Term]
    outcomes: dict[str, Term]
    priority_within_days: int
    priority_windows: tuple[str, ...]
    priority_grounds: dict[str, Term]
    means_test_waivers: dict[str, Term]
    termination_reasons: dict[str, Term]
    worker_kinds: dict[str, WorkerKind]


def _terms(rows: list[dict[str, Any]]) -> dict[str, Term]:
    return {r["code"]: Term(r["code"], r["name_zh"], r["name_en"], r["article"]) for r in rows}


@lru_cache(maxsize=1)
def law() -> LegalAidLaw:
    raw = json.loads(resources.files("casework.records").joinpath("data", "legal_aid.json").read_text("utf-8"))
    priority = raw["priority"]
    return LegalAidLaw(
        source=raw["source"],
        decisions=_terms(raw["decisions"]),
        outcomes=_terms(raw["outcomes"]),
        priority_within_days=priority["within_days"],
        priority_windows=tuple(priority["windows"]),
        priority_grounds=_terms(priority["grounds"]),
        means_test_waivers=_terms(raw["means_test_waivers"]),
        termination_reasons=_terms(raw["termination_reasons"]),
        worker_kinds={r["code"]: WorkerKind(r["code"], r["name_zh"], r["name_en"], r["article"],
                                            frozenset(r["aid_types"])) for r in raw["worker_kinds"]},
    )


def zh(terms: dict[str, Term], code: str | None) -> str | None:
    return terms[code].name_zh if code is not None and code in terms else None
