"""What each action does to the current proceeding, on its effective date.

Every handler takes the ``Act`` and the action's struct, changes the
proceeding, names the legal events for the clock engine (which stops and
starts the clocks the time-limit data ties to them), issues the notices
the step gives a party, and leaves the state to the transition table
unless it says otherwise (``act.new_state``).
"""

from __future__ import annotations

from casework.proceedings.acceptance import (
    accept,
    decline,
    find_new_matter,
    find_same_matter,
    request_supplement,
    supplement_received,
    withdraw,
)
from casework.proceedings.handling import (
    assign,
    assign_leader,
    conclude,
    convert_to_ordinary,
    extend_deadline,
    forward,
    give_guidance,
    pause_clock,
    record_leader_action,
    record_return_visit,
    record_session,
    report_back,
    resume_clock,
    return_matter,
)
from casework.proceedings.moving_on import (
    close,
    escalate,
    reopen,
    request_re_review,
    request_review,
    supervise,
)
from casework.proceedings.steps import application_window

__all__ = ["HANDLERS", "application_window"]

HANDLERS = {
    "accept": accept, "decline": decline, "assign": assign, "record_session": record_session,
    "pause_clock": pause_clock, "resume_clock": resume_clock, "extend_deadline": extend_deadline,
    "conclude": conclude, "escalate": escalate, "request_review": request_review,
    "request_re_review": request_re_review, "supervise": supervise, "close": close, "reopen": reopen,
    "request_supplement": request_supplement, "supplement_received": supplement_received, "withdraw": withdraw,
    "give_guidance": give_guidance, "convert_to_ordinary": convert_to_ordinary,
    "find_same_matter": find_same_matter, "find_new_matter": find_new_matter,
    "forward": forward, "return_matter": return_matter, "report_back": report_back,
    "record_return_visit": record_return_visit, "assign_leader": assign_leader,
    "record_leader_action": record_leader_action,
}

