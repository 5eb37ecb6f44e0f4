"""What each action does to the current proceeding, on its effective date.

Every handler takes the ``Act`` and the action's struct, changes the
proceeding, names the legal events for the clock engine (which stops and
starts the clocks the time-limit data ties to them), issues the notices
the step gives a party, and leaves the state to the transition table
unless it says otherwise (``act.new_state``).
"""

from __future__ import annotations

from casework.proceedings import acceptance, handling, moving_on
from casework.proceedings.schemas import ACTION_BODIES
from casework.proceedings.steps import application_window

__all__ = ["HANDLERS", "application_window"]


def _handler(action: str):
    """The function named after the action, in one of the handler modules."""
    found = [fn for module in (acceptance, handling, moving_on)
             if (fn := getattr(module, action, None)) is not None and fn.__module__ == module.__name__]
    if len(found) != 1:
        raise LookupError(f"action {action!r} needs exactly one handler, found {len(found)}")
    return found[0]


HANDLERS = {action: _handler(action) for action in ACTION_BODIES}
