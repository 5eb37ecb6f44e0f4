"""Document numbers as bodies write them (发文字号), e.g. ``潞信复〔2026〕12号``.

The parts are data: a body's abbreviation, a word per notice kind and the
pattern, from ``data/numbering.json`` unless the body has its own
(``document_numbering``, set by an administrator). The sequence is gapless
per body, type word and year: ``document_counter``'s row is taken with an
upsert that holds its lock to the end of the caller's transaction, so a
transaction that rolls back gives its number back and two at once wait
for each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from casework.problems import invalid


@lru_cache(maxsize=1)
def defaults() -> dict[str, Any]:
    return json.loads(resources.files("casework.documents").joinpath("data/numbering.json").read_text("utf-8"))


@dataclass(frozen=True)
class Numbering:
    body_code: str
    abbreviation: str
    pattern: str
    type_words: dict[str, str]
    configured: bool

    def type_word(self, kind: str) -> str:
        return self.type_words.get(kind) or defaults()["type_words"].get(kind, "")

    def format(self, kind: str, year: int, seq: int) -> str:
        return self.pattern.format(abbreviation=self.abbreviation, type_word=self.type_word(kind), year=year,
                                   seq=seq)


def default_abbreviation(body: dict[str, Any]) -> str:
    """The data file's abbreviation for the body, else its place's word and its kind's."""
    data = defaults()
    if body["code"] in data["bodies"]:
        return data["bodies"][body["code"]]
    division = body["division_code"]
    place = next((data["place_words"][p] for p in (division[:6], division[:4], division[:2])
                  if p in data["place_words"]), body["name_zh"][:1])
    return place + (data["body_kind_words"].get(body["kind"]) or body["name_zh"][3:5])


def check_pattern(pattern: str) -> None:
    try:
        pattern.format(abbreviation="A", type_word="T", year=2026, seq=1)
    except (KeyError, IndexError, ValueError):
        raise invalid([{"field": "pattern", "message": "may use only {abbreviation}, {type_word}, {year}, {seq}"}])
    if "{seq}" not in pattern:
        raise invalid([{"field": "pattern", "message": "must contain {seq}"}])


async def numbering_for(conn: Any, body: dict[str, Any]) -> Numbering:
    row = await conn.fetchrow("SELECT * FROM document_numbering WHERE body_id = $1", body["id"])
    if row is None:
        return Numbering(body["code"], default_abbreviation(body), defaults()["pattern"], {}, False)
    return Numbering(body["code"], row["abbreviation"], row["pattern"], json.loads(row["type_words"]), True)


async def take_number(conn: Any, body: dict[str, Any], kind: str, year: int) -> str:
    """The body's next number for ``kind`` in ``year``, inside the caller's transaction."""
    numbering = await numbering_for(conn, body)
    seq = await conn.fetchval(
        """INSERT INTO document_counter (body_id, type_word, year, last_seq) VALUES ($1, $2, $3, 1)
           ON CONFLICT (body_id, type_word, year) DO UPDATE SET last_seq = document_counter.last_seq + 1
           RETURNING last_seq""", body["id"], numbering.type_word(kind) or kind, year)
    return numbering.format(kind, year, seq)


async def set_numbering(conn: Any, body: dict[str, Any], *, abbreviation: str, pattern: str,
                        type_words: dict[str, str], actor_id: int) -> None:
    check_pattern(pattern)
    await conn.execute(
        """INSERT INTO document_numbering (body_id, abbreviation, pattern, type_words, updated_by)
           VALUES ($1, $2, $3, $4::jsonb, $5)
           ON CONFLICT (body_id) DO UPDATE SET abbreviation = $2, pattern = $3, type_words = $4::jsonb,
               updated_by = $5, updated_at = casework_now()""",
        body["id"], abbreviation, pattern, json.dumps(type_words, ensure_ascii=False), actor_id)
