"""The track registry: every track, state and outcome once, with the words
practitioners use for them (``data/tracks.json``).

Read by the transition tables, routing, intake, the case status, labels in
the dashboard and CSV, the reference endpoint, the bench seed and the docs.
A track, state or outcome used anywhere else and missing here fails
tests/proceedings/test_registry.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Label:
    code: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class State(Label):
    status: str  # the case status while this state is current


@dataclass(frozen=True)
class Track(Label):
    body_kind: str
    initial_state: str
    handled: str  # internal: run here; external: a court or tribunal's, tracked here
    mediation: bool
    outcomes: tuple[Label, ...]
    escalates_to: tuple[str, ...]

    @property
    def outcome_codes(self) -> frozenset[str]:
        return frozenset(o.code for o in self.outcomes)


@dataclass(frozen=True)
class BodyKind(Label):
    supervised_by: str | None  # the kind of body that supervises this kind (督办); None: never here
    above: bool  # the supervising body is a level above (else the same government's)
    source: str


@dataclass(frozen=True)
class Registry:
    source: str
    tracks: dict[str, Track]
    states: dict[str, State]
    statuses: dict[str, Label]
    body_kinds: dict[str, BodyKind]
    words: dict[str, dict[str, Label]]  # channels, kinds, petition types, actions

    def track(self, code: str) -> Track:
        return self.tracks[code]

    @property
    def mediation_tracks(self) -> frozenset[str]:
        return frozenset(code for code, t in self.tracks.items() if t.mediation)

    def status_sql(self, state_column: str) -> str:
        """The case status of a proceeding state, as a SQL CASE (sync_case)."""
        whens = " ".join(f"WHEN '{s.code}' THEN '{s.status}'" for s in self.states.values() if s.status != "open")
        return f"CASE {state_column} {whens} ELSE 'open' END"

    @property
    def final_states(self) -> frozenset[str]:
        """States after which the case is no longer open (closed_at is set)."""
        return frozenset(s.code for s in self.states.values() if s.status in ("closed", "not_accepted", "terminated",
                                                                               "withdrawn"))


@lru_cache(maxsize=1)
def registry() -> Registry:
    raw = json.loads(resources.files("casework.proceedings").joinpath("data", "tracks.json").read_text("utf-8"))
    tracks = {
        t["code"]: Track(
            code=t["code"], label_zh=t["label_zh"], label_en=t["label_en"], body_kind=t["body_kind"],
            initial_state=t["initial_state"], handled=t["handled"], mediation=t["mediation"],
            outcomes=tuple(Label(o["code"], o["label_zh"], o["label_en"]) for o in t["outcomes"]),
            escalates_to=tuple(t["escalates_to"]),
        )
        for t in raw["tracks"]
    }
    states = {s["code"]: State(s["code"], s["label_zh"], s["label_en"], s["status"]) for s in raw["states"]}
    statuses = {s["code"]: Label(s["code"], s["label_zh"], s["label_en"]) for s in raw["statuses"]}
    body_kinds = {k["code"]: BodyKind(k["code"], k["label_zh"], k["label_en"], k["supervised_by"], k["above"],
                                      k["source"]) for k in raw["body_kinds"]}
    words = {name: {w["code"]: Label(w["code"], w["label_zh"], w["label_en"]) for w in raw[name]}
             for name in ("channels", "kinds", "petition_types", "actions")}
    return Registry(source=raw["source"], tracks=tracks, states=states, statuses=statuses, body_kinds=body_kinds,
                    words=words)


def body_kind_codes() -> tuple[str, ...]:
    return tuple(registry().body_kinds)


def track_codes() -> tuple[str, ...]:
    return tuple(registry().tracks)


def track_zh() -> dict[str, str]:
    return {code: t.label_zh for code, t in registry().tracks.items()}


def state_zh() -> dict[str, str]:
    return {code: s.label_zh for code, s in registry().states.items()}


def status_zh() -> dict[str, str]:
    return {code: s.label_zh for code, s in registry().statuses.items()}
