"""The bodies of ``POST /api/v1/cases/{reference}/actions/{action}``: one
struct per action, so a client (and the OpenAPI document) knows what each
action needs; ``ACTION_BODIES`` maps the action in the path to its struct.

Every action carries ``effective_on``: the day it took legal effect (a
letter received last Friday and entered on Monday), today when omitted,
never in the future, and, when earlier than today, with a
``backdate_reason``. Periods count from it, not from the day it was typed
in.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from casework.cases.schemas import CaseListItem, Track
from casework.notices.schemas import Served

Text = Annotated[str, Meta(max_length=2000)]
Short = Annotated[str, Meta(max_length=200)]
Required = Annotated[str, Meta(min_length=1, max_length=2000)]
Channel = Literal["administrative_reconsideration", "litigation", "labour_arbitration", "arbitration",
                  "administrative_mediation", "judicial_mediation", "legal_aid", "petition"]


class Common(Struct, forbid_unknown_fields=True, kw_only=True):
    effective_on: dt.date | None = None
    backdate_reason: Text | None = None
    reason: Text | None = None


class Accept(Common, kw_only=True):
    procedure: Literal["ordinary", "simplified"] | None = None
    # An officer accepting a late application says why; so does one accepting
    # a possible repeat (the earlier cases are in the case's possible_repeats).
    late_accepted_reason: Text | None = None
    repeat_accepted_reason: Text | None = None


class Decline(Common, kw_only=True):
    reason: Required
    directed_to: Annotated[str, Meta(min_length=1, max_length=200)]
    # What the party is told (a code of GET /api/v1/reference public_reasons;
    # "other" when omitted), and a note written for the party on purpose.
    reason_code: Annotated[str, Meta(max_length=50)] | None = None
    public_note: Annotated[str, Meta(max_length=500)] | None = None
    served: Served | None = None


class Assign(Common, kw_only=True):
    """交办 (or a change of handler): to a body and/or a person. With
    ``report_by`` it is an assignment with a deadline for the completion
    report back (信访工作条例 art. 22(3)); ``joint_bodies`` share the matter,
    the assigned body leading."""

    body_code: Annotated[str, Meta(max_length=64)] | None = None
    assignee: Annotated[str, Meta(max_length=100)] | None = None
    report_by: dt.date | None = None
    joint_bodies: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=10)] | None = None


class Forward(Common, kw_only=True):
    """转送: the matter goes to the body competent for it, which has 5 working
    days to return it if it is not its own (信访工作条例 art. 23(3))."""

    body_code: Annotated[str, Meta(min_length=1, max_length=64)]


class ReturnMatter(Common, kw_only=True):
    """退回: the receiving body returns a matter that is not its own, within its 5 working days."""

    reason: Required


class ReportBack(Common, kw_only=True):
    """The handler's completion report to the body that assigned the matter (交办)."""

    report: Annotated[str, Meta(min_length=1, max_length=4000)]


class ReturnVisit(Common, kw_only=True):
    """回访 after a petition's reply or a mediation agreement: was it carried out, is the party satisfied."""

    visited_on: dt.date
    method: Literal["phone", "visit", "letter", "online", "sms"]
    agreement_performed: Literal["performed", "partly", "not_performed", "not_applicable"] = "not_applicable"
    satisfied: Literal["satisfied", "basically_satisfied", "dissatisfied", "not_asked"] = "not_asked"
    notes: Text | None = None


class AssignLeader(Common, kw_only=True):
    """领导包案: a leader takes charge of a serious or collective matter."""

    leader: Annotated[str, Meta(min_length=1, max_length=100)]
    title: Annotated[str, Meta(min_length=1, max_length=100)]
    reason: Required


class LeaderAction(Common, kw_only=True):
    """What the leader in charge did (a meeting, a visit, a decision)."""

    done_on: dt.date
    what: Annotated[str, Meta(min_length=1, max_length=2000)]


class RecordSession(Common, kw_only=True):
    held_on: dt.date
    location: Short | None = None
    participants: Annotated[list[Short], Meta(max_length=100)] | None = None
    notes: Text | None = None


class PauseClock(Common, kw_only=True):
    reason: Required
    clock: Annotated[str, Meta(max_length=100)] | None = None


class ResumeClock(Common, kw_only=True):
    clock: Annotated[str, Meta(max_length=100)] | None = None


class ExtendDeadline(Common, kw_only=True):
    clock: Annotated[str, Meta(min_length=1, max_length=100)]
    days: Annotated[int, Meta(ge=1, le=366)]
    approver: Annotated[str, Meta(min_length=1, max_length=200)]
    reason: Required
    party_informed: bool
    served: Served | None = None


class Conclude(Common, kw_only=True):
    outcome: Annotated[str, Meta(min_length=1, max_length=50)]
    opinion: Literal["supported", "partly_supported", "explained", "not_supported"] | None = None
    channels_notified: Annotated[list[Channel], Meta(max_length=20)] | None = None
    served: Served | None = None


class Escalate(Common, kw_only=True):
    track: Track
    reason: Required
    outcome: Annotated[str, Meta(max_length=50)] | None = None
    channels_notified: Annotated[list[Channel], Meta(max_length=20)] | None = None
    body_code: Annotated[str, Meta(max_length=64)] | None = None


class RequestReview(Common, kw_only=True):
    # After the window: an officer accepts it late, saying why.
    late_justification: Text | None = None
    # A request sent by post counts on its postmark date (give it as effective_on).
    posted: bool = False


class Supervise(Common, kw_only=True):
    reason: Required
    respond_by: dt.date | None = None


class Close(Common, kw_only=True):
    pass


class Reopen(Common, kw_only=True):
    reason: Required


class RequestSupplement(Common, kw_only=True):
    missing: Annotated[str, Meta(min_length=1, max_length=2000)]  # what is to be supplied or corrected
    served: Served | None = None


class SupplementReceived(Common, kw_only=True):
    pass


class Withdraw(Common, kw_only=True):
    reason: Required


class GiveGuidance(Common, kw_only=True):
    channels: Annotated[list[Channel], Meta(min_length=1, max_length=20)]
    served: Served | None = None


class ConvertToOrdinary(Common, kw_only=True):
    reason: Required


class FindSameMatter(Common, kw_only=True):
    """The officer finds the petition is the terminated matter again (same facts and reasons)."""

    reason: Required
    public_note: Annotated[str, Meta(max_length=500)] | None = None
    served: Served | None = None


class FindNewMatter(Common, kw_only=True):
    """The officer finds it is a new matter: it proceeds."""

    reason: Required


class RegisterOnline(Common, kw_only=True):
    """An online application registered: the track's first state, its clocks
    from the submission day (the statutory receipt date of an online filing)."""


class RefuseOnline(Common, kw_only=True):
    """An online application refused as not a matter (不予登记): the party is
    told the standard reason (a code of public_reasons) and the note, if any."""

    reason: Required
    reason_code: Annotated[str, Meta(min_length=1, max_length=50)]
    public_note: Annotated[str, Meta(max_length=500)] | None = None


ACTION_BODIES: dict[str, type[Common]] = {
    "accept": Accept, "decline": Decline, "assign": Assign, "record_session": RecordSession,
    "pause_clock": PauseClock, "resume_clock": ResumeClock, "extend_deadline": ExtendDeadline,
    "conclude": Conclude, "escalate": Escalate, "request_review": RequestReview,
    "request_re_review": RequestReview, "supervise": Supervise, "close": Close, "reopen": Reopen,
    "request_supplement": RequestSupplement, "supplement_received": SupplementReceived, "withdraw": Withdraw,
    "give_guidance": GiveGuidance, "convert_to_ordinary": ConvertToOrdinary,
    "find_same_matter": FindSameMatter, "find_new_matter": FindNewMatter,
    "forward": Forward, "return_matter": ReturnMatter, "report_back": ReportBack,
    "record_return_visit": ReturnVisit, "assign_leader": AssignLeader, "record_leader_action": LeaderAction,
    "register_online": RegisterOnline, "refuse_online": RefuseOnline,
}


class QueueItem(CaseListItem, kw_only=True):
    assignee_id: int | None


class WorkQueue(Struct):
    """Open cases assigned to the caller or to their body and unassigned, earliest due first."""

    items: list[QueueItem]
    next_cursor: str | None
    has_more: bool


class EffectiveDateCorrection(Struct, forbid_unknown_fields=True, kw_only=True):
    """The day an action really took effect, when it was entered wrong (the
    acceptance decided on the 15th was typed in on the 20th as of that day).
    The action's own event stays as written; a correction event says what
    changed and why, and the clocks the action stopped or started are
    counted again from the corrected day."""

    effective_on: dt.date
    reason: Required
