"""The transition tables: one per track, checked in one place (``find``).

Each row: the states it may start from, the action, the state it leads to
(``None``: unchanged), the roles allowed and the fields the request must
carry. Tracks, their outcomes and escalation targets are the registry's
(``tracks.py``, ``data/tracks.json``).
"""

from __future__ import annotations

from dataclasses import dataclass

STAFF = frozenset({"mediator", "officer", "supervisor", "admin"})
OFFICERS = frozenset({"officer", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
INTAKE = frozenset({"clerk", "officer", "supervisor", "admin"})
HANDLERS = frozenset({"mediator", "officer", "supervisor", "admin"})

OPEN_STATES = frozenset({"triage", "registered", "forwarded", "pending_acceptance", "accepted"})
WAITING = frozenset({"registered", "forwarded", "pending_acceptance"})


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: frozenset[str]
    to_state: str | None
    roles: frozenset[str]
    required: tuple[str, ...] = ()


def _t(action, from_states, to_state, roles, *required) -> Transition:
    return Transition(action, frozenset(from_states), to_state, frozenset(roles), tuple(required))


# Rows every track shares.
_COMMON = [
    _t("assign", OPEN_STATES, None, OFFICERS),
    _t("pause_clock", {"pending_acceptance", "accepted"}, None, HANDLERS, "reason"),
    _t("resume_clock", {"pending_acceptance", "accepted"}, None, HANDLERS),
    _t("extend_deadline", {"accepted"}, None, HANDLERS, "clock", "days", "approver", "reason", "party_informed"),
    _t("supervise", OPEN_STATES | {"concluded"}, None, SUPERVISORS, "reason"),
    _t("close", {"concluded", "not_accepted", "terminated"}, "closed", OFFICERS),
    _t("reopen", {"closed", "concluded", "not_accepted"}, "accepted", SUPERVISORS, "reason"),
]

_MEDIATION = [
    _t("accept", {"pending_acceptance"}, "accepted", HANDLERS),
    _t("decline", {"pending_acceptance"}, "not_accepted", HANDLERS, "reason", "directed_to"),
    _t("record_session", {"accepted"}, None, HANDLERS, "held_on"),
    _t("conclude", {"accepted"}, "concluded", HANDLERS, "outcome"),
    # From "accepted" the same action records the failed outcome first.
    _t("escalate", {"accepted", "concluded", "not_accepted"}, "escalated", HANDLERS, "track", "reason"),
]

TABLES: dict[str, list[Transition]] = {
    "triage": [
        _t("escalate", {"triage"}, "escalated", OFFICERS, "track", "reason"),
        _t("decline", {"triage"}, "not_accepted", OFFICERS, "reason", "directed_to"),
    ],
    "petition": [
        # Forwarding a registered petition to its handler is an assignment.
        _t("assign", {"registered"}, "forwarded", OFFICERS),
        _t("accept", {"registered", "forwarded"}, "accepted", OFFICERS),
        _t("decline", {"registered", "forwarded"}, "not_accepted", OFFICERS, "reason", "directed_to"),
        _t("conclude", {"accepted"}, "concluded", OFFICERS, "outcome"),
        _t("request_review", {"concluded"}, "escalated", INTAKE),
        _t("escalate", {"registered", "forwarded", "accepted", "concluded", "not_accepted"}, "escalated",
           OFFICERS, "track", "reason"),
    ],
    "petition_review": [
        _t("conclude", {"accepted"}, "concluded", OFFICERS, "outcome"),
        _t("decline", {"accepted"}, "not_accepted", OFFICERS, "reason", "directed_to"),
        _t("request_re_review", {"concluded"}, "escalated", INTAKE),
    ],
    "petition_re_review": [
        # The re-review opinion ends the matter: it is terminated.
        _t("conclude", {"accepted"}, "terminated", OFFICERS, "outcome"),
        _t("decline", {"accepted"}, "not_accepted", OFFICERS, "reason", "directed_to"),
    ],
    "people_mediation": _MEDIATION,
    "administrative_mediation": _MEDIATION,
    "judicial_mediation": _MEDIATION,
    "reconsideration": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance"}, "not_accepted", OFFICERS, "reason", "directed_to"),
        _t("record_session", {"accepted"}, None, OFFICERS, "held_on"),
        _t("conclude", {"accepted"}, "concluded", OFFICERS, "outcome"),
        _t("escalate", {"concluded", "not_accepted"}, "escalated", INTAKE | HANDLERS, "track", "reason"),
    ],
    "litigation": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance"}, "not_accepted", OFFICERS, "reason", "directed_to"),
        _t("conclude", {"accepted"}, "concluded", OFFICERS, "outcome"),
        _t("escalate", {"concluded", "not_accepted"}, "escalated", OFFICERS, "track", "reason"),
    ],
    "legal_aid": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance"}, "not_accepted", OFFICERS, "reason", "directed_to"),
        _t("conclude", {"accepted"}, "concluded", OFFICERS, "outcome"),
        _t("escalate", {"concluded", "not_accepted"}, "escalated", OFFICERS, "track", "reason"),
    ],
}

ACTIONS = (
    "accept", "decline", "assign", "record_session", "pause_clock", "resume_clock", "extend_deadline",
    "conclude", "escalate", "request_review", "request_re_review", "supervise", "close", "reopen",
)

FAILED_MEDIATION = frozenset({"failed", "party_refused"})

# Channels a mediator may record having told the parties of (People's
# Mediation Law art. 26), when mediation fails.
CHANNELS = frozenset({"administrative_reconsideration", "litigation", "labour_arbitration", "arbitration",
                      "administrative_mediation", "judicial_mediation", "legal_aid", "petition"})


def table(track: str) -> list[Transition]:
    return TABLES.get(track, []) + _COMMON


def find(track: str, state: str, action: str) -> Transition | None:
    """The row for ``action`` on ``track`` from ``state``; track rows win over common ones."""
    for row in table(track):
        if row.action == action and state in row.from_states:
            return row
    return None


def allowed_actions(track: str, state: str, role: str) -> list[str]:
    """The actions ``role`` may take now: what a front end shows as buttons."""
    result = []
    for action in ACTIONS:
        row = find(track, state, action)
        if row is not None and role in row.roles:
            result.append(action)
    return result


def markdown_table() -> str:
    """The transition tables as Markdown (docs/proceedings.md embeds this; a
    test keeps the two equal)."""
    lines = ["| track | action | from states | to state | roles | required fields |",
             "|---|---|---|---|---|---|"]
    for track in TABLES:
        for row in table(track):
            lines.append(
                f"| {track} | {row.action} | {', '.join(sorted(row.from_states))} | {row.to_state or '(same)'} "
                f"| {', '.join(sorted(row.roles))} | {', '.join(row.required) or '—'} |"
            )
    return "\n".join(lines)
