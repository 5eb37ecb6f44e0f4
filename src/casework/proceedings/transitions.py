"""The transition tables: one per track, checked in one place (``find``).

Each row: the states it may start from, the action, the state it leads to
(``None``: unchanged) and the roles allowed. What each action's request
must carry is its struct (``schemas.ACTION_BODIES``); tracks, their
outcomes and escalation targets are the registry's (``tracks.py``,
``data/tracks.json``).
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from casework.proceedings.schemas import ACTION_BODIES

STAFF = frozenset({"mediator", "officer", "supervisor", "admin"})
OFFICERS = frozenset({"officer", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
INTAKE = frozenset({"clerk", "officer", "supervisor", "admin"})
HANDLERS = frozenset({"mediator", "officer", "supervisor", "admin"})
EVERYONE_WHO_ACTS = INTAKE | HANDLERS

WAITING = frozenset({"registered", "forwarded", "pending_acceptance", "pending_finding"})
# 网上提交待登记: filed online by the party, not yet registered by a clerk.
ONLINE = "submitted_online"
OPEN_STATES = frozenset({"triage", "accepted", "supplementing", "awaiting_filing", ONLINE}) | WAITING


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: frozenset[str]
    to_state: str | None
    roles: frozenset[str]

    @property
    def required(self) -> tuple[str, ...]:
        """The fields the action's struct requires (for the docs table)."""
        info = msgspec.inspect.type_info(ACTION_BODIES[self.action])
        return tuple(f.name for f in info.fields if f.required)


def _t(action, from_states, to_state, roles) -> Transition:
    return Transition(action, frozenset(from_states), to_state, frozenset(roles))


# Rows every track shares.
_COMMON = [
    _t("assign", OPEN_STATES - {"awaiting_filing"}, None, OFFICERS),
    _t("pause_clock", {"pending_acceptance", "accepted"}, None, HANDLERS),
    _t("resume_clock", {"pending_acceptance", "accepted"}, None, HANDLERS),
    _t("extend_deadline", {"accepted"}, None, HANDLERS),
    _t("supervise", OPEN_STATES | {"concluded"}, None, SUPERVISORS),
    # The applicant withdraws (撤回): the proceeding ends without a decision.
    _t("withdraw", OPEN_STATES - {"triage"}, "withdrawn", EVERYONE_WHO_ACTS),
    # Telling the parties of the other channels (guidance): a notice, not a
    # proceeding; their windows stay open until they act.
    _t("give_guidance", {"accepted", "concluded", "not_accepted", "withdrawn", "awaiting_filing"}, None,
       EVERYONE_WHO_ACTS),
    _t("close", {"concluded", "not_accepted", "terminated", "withdrawn"}, "closed", OFFICERS),
    # 回访 after a reply or an agreement; 领导包案 on serious or collective matters.
    _t("record_return_visit", {"concluded", "closed", "terminated"}, None, HANDLERS),
    _t("assign_leader", OPEN_STATES | {"concluded"}, None, SUPERVISORS | {"officer"}),
    _t("record_leader_action", OPEN_STATES | {"concluded"}, None, SUPERVISORS | {"officer"}),
    _t("reopen", {"closed", "concluded", "not_accepted"}, "accepted", SUPERVISORS),
    # An online application (docs/public.md): registered (the track's first
    # state; clocks from the submission day), asked to supplement (补正), or
    # refused as not a matter, by whoever receives matters at the body.
    _t("register_online", {ONLINE}, None, EVERYONE_WHO_ACTS),
    _t("request_supplement", {ONLINE}, "supplementing", EVERYONE_WHO_ACTS),
    _t("refuse_online", {ONLINE, "supplementing"}, "not_accepted", EVERYONE_WHO_ACTS),
]

# 补正: asking the applicant for what is missing, at the acceptance stage.
_SUPPLEMENT = [
    _t("request_supplement", {"pending_acceptance"}, "supplementing", HANDLERS),
    _t("supplement_received", {"supplementing"}, None, EVERYONE_WHO_ACTS),
]

_MEDIATION = [
    _t("accept", {"pending_acceptance"}, "accepted", HANDLERS),
    _t("decline", {"pending_acceptance", "supplementing"}, "not_accepted", HANDLERS),
    _t("record_session", {"accepted"}, None, HANDLERS),
    _t("conclude", {"accepted"}, "concluded", HANDLERS),
    # From "accepted" the same action records the failed outcome first.
    _t("escalate", {"accepted", "concluded", "not_accepted"}, "escalated", HANDLERS),
    *_SUPPLEMENT,
]

TABLES: dict[str, list[Transition]] = {
    "triage": [
        _t("escalate", {"triage"}, "escalated", OFFICERS),
        _t("decline", {"triage"}, "not_accepted", OFFICERS),
    ],
    "petition": [
        # Forwarding (转送) a registered petition, or assigning it (交办) with a report due.
        _t("assign", {"registered"}, "forwarded", OFFICERS),
        _t("forward", {"registered"}, "forwarded", OFFICERS),
        _t("return_matter", {"forwarded"}, "registered", OFFICERS),
        _t("report_back", {"accepted", "concluded"}, None, OFFICERS),
        _t("accept", {"registered", "forwarded"}, "accepted", OFFICERS),
        _t("decline", {"registered", "forwarded", "supplementing"}, "not_accepted", OFFICERS),
        _t("conclude", {"accepted"}, "concluded", OFFICERS),
        _t("request_review", {"concluded"}, "escalated", INTAKE),
        _t("escalate", {"registered", "forwarded", "accepted", "concluded", "not_accepted"}, "escalated", OFFICERS),
        _t("request_supplement", {"registered", "forwarded"}, "supplementing", OFFICERS),
        _t("supplement_received", {"supplementing"}, None, INTAKE),
        # Like a matter terminated after re-review: the officer's finding.
        _t("find_same_matter", {"pending_finding"}, "not_accepted", OFFICERS),
        _t("find_new_matter", {"pending_finding"}, "registered", OFFICERS),
    ],
    "petition_review": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance", "accepted"}, "not_accepted", OFFICERS),
        _t("conclude", {"accepted"}, "concluded", OFFICERS),
        _t("request_re_review", {"concluded"}, "escalated", INTAKE),
    ],
    "petition_re_review": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance", "accepted"}, "not_accepted", OFFICERS),
        # The re-review opinion ends the matter: it is terminated.
        _t("conclude", {"accepted"}, "terminated", OFFICERS),
    ],
    "people_mediation": _MEDIATION,
    "administrative_mediation": _MEDIATION,
    "judicial_mediation": _MEDIATION,
    "labour_mediation": _MEDIATION,
    "reconsideration": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance", "supplementing"}, "not_accepted", OFFICERS),
        _t("record_session", {"accepted"}, None, OFFICERS),
        _t("conclude", {"accepted"}, "concluded", OFFICERS),
        _t("convert_to_ordinary", {"accepted"}, None, OFFICERS),
        _t("escalate", {"concluded", "not_accepted"}, "escalated", INTAKE | HANDLERS),
        _t("request_supplement", {"pending_acceptance"}, "supplementing", OFFICERS),
        _t("supplement_received", {"supplementing"}, None, INTAKE | OFFICERS),
    ],
    "litigation": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance"}, "not_accepted", OFFICERS),
        _t("conclude", {"accepted"}, "concluded", OFFICERS),
        _t("escalate", {"concluded", "not_accepted"}, "escalated", OFFICERS),
    ],
    "legal_aid": [
        _t("accept", {"pending_acceptance"}, "accepted", OFFICERS),
        _t("decline", {"pending_acceptance", "supplementing"}, "not_accepted", OFFICERS),
        _t("conclude", {"accepted"}, "concluded", OFFICERS),
        _t("escalate", {"concluded", "not_accepted"}, "escalated", OFFICERS),
        _t("request_supplement", {"pending_acceptance"}, "supplementing", OFFICERS),
        _t("supplement_received", {"supplementing"}, None, INTAKE | OFFICERS),
    ],
}

ACTIONS = tuple(ACTION_BODIES)

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
