"""The track registry is the one list of tracks, states and outcomes: every
other place that names one names one of these, each with its words."""

from __future__ import annotations

import json
from importlib import resources

from casework.backlog import bench_seed
from casework.proceedings import transitions
from casework.proceedings.tracks import registry

# Time limits that belong to a record rather than a proceeding's track.
RECORD_SUBJECTS = {"judicial_confirmation"}


def _data(name: str) -> dict:
    return json.loads(resources.files("casework.reference").joinpath("data", name).read_text("utf-8"))


def test_every_track_state_and_outcome_has_its_words():
    r = registry()
    for item in [*r.tracks.values(), *r.states.values(), *r.statuses.values(),
                 *(o for t in r.tracks.values() for o in t.outcomes)]:
        assert item.label_zh.strip() and item.label_en.strip(), item
    assert {s.status for s in r.states.values()} <= set(r.statuses)
    for track in r.tracks.values():
        assert track.initial_state in r.states, track.code
        assert set(track.escalates_to) <= set(r.tracks), track.code


def test_the_transition_tables_name_only_registered_tracks_and_states():
    r = registry()
    assert set(transitions.TABLES) <= set(r.tracks)
    for track in transitions.TABLES:
        for row in transitions.table(track):
            assert row.from_states <= set(r.states), (track, row.action)
            assert row.to_state is None or row.to_state in r.states, (track, row.action)


def test_routing_rules_time_limits_bodies_and_the_bench_seed_name_registered_tracks():
    r = registry()
    body_kinds = {b["kind"] for b in _data("bodies.json")["bodies"]}
    assert body_kinds <= set(r.body_kinds), "every kind of body the data holds is registered"
    assert {t.body_kind for t in r.tracks.values()} <= body_kinds
    for kind in r.body_kinds.values():
        assert kind.supervised_by is None or kind.supervised_by in r.body_kinds, kind.code
    for rule in _data("routing_rules.json")["routing_rules"]:
        assert rule["track"] in r.tracks and rule["body_kind"] in body_kinds, rule["code"]
    for limit in _data("time_limits.json")["time_limits"]:
        assert limit["track"] in set(r.tracks) | RECORD_SUBJECTS, limit["code"]
    assert {track for track, _ in bench_seed.TRACKS} <= set(r.tracks)


def test_every_code_a_client_sends_or_reads_has_its_chinese_term():
    """A mobile front end never needs its own translation table."""
    import typing

    from casework.cases.schemas import Channel, Kind, PetitionType
    from casework.proceedings.transitions import ACTIONS

    words = registry().words
    assert set(typing.get_args(Channel)) == set(words["channels"])
    assert set(typing.get_args(Kind)) == set(words["kinds"])
    assert set(typing.get_args(PetitionType)) == set(words["petition_types"])
    assert set(ACTIONS) == set(words["actions"])
    for group in words.values():
        for word in group.values():
            assert word.label_zh.strip() and word.label_en.strip(), word


def test_every_action_has_a_handler_a_body_a_term_and_a_route():
    """Adding an action touches transitions.py, schemas.py (its body),
    handlers.py and tracks.json (its words); the route follows from the body.
    Forgetting one fails here."""
    from casework.app import create_app
    from casework.proceedings.handlers import HANDLERS
    from casework.proceedings.schemas import ACTION_BODIES
    from casework.proceedings.transitions import ACTIONS

    in_tables = {row.action for track in transitions.TABLES for row in transitions.table(track)}
    assert in_tables <= set(ACTIONS)
    assert set(ACTIONS) == set(HANDLERS), "an action with no handler, or a handler no table uses"
    assert set(ACTIONS) == set(ACTION_BODIES), "an action with no body struct"
    assert set(ACTIONS) <= set(registry().words["actions"]), "an action with no words"
    paths = create_app().openapi_schema.to_schema()["paths"]
    for action in ACTIONS:
        operation = paths[f"/api/v1/cases/{{reference}}/actions/{action}"]["post"]
        assert operation["operationId"] == f"case_{action}"
        assert operation["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
