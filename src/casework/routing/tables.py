from piccolo.columns import JSONB, BigInt, BigSerial, Boolean, ForeignKey, Integer, SmallInt, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from casework.access.tables import AppUser
from casework.reference.tables import Body


class RoutingRule(Table):
    """One ordered routing rule: conditions (JSON) and a track + body kind."""

    code = Text(unique=True)
    position = Integer()
    conditions = JSONB(default={})
    track = Text()
    body_kind = Text()
    body_max_level = SmallInt(null=True)
    reason_zh = Text()
    reason_en = Text()
    source = Text(default="")
    active = Boolean(default=True)


class RoutingDecision(Table):
    id = BigSerial(primary_key=True)
    case_id = BigInt()
    rule_id = ForeignKey(RoutingRule, on_delete=OnDelete.restrict, null=True)
    rule_code = Text(null=True)
    track = Text()
    body_id = ForeignKey(Body, on_delete=OnDelete.restrict, null=True)
    reason = Text()
    suggested_track = Text(null=True)
    overridden = Boolean(default=False)
    override_reason = Text(null=True)
    decided_by = ForeignKey(AppUser, on_delete=OnDelete.restrict, null=True)
    decided_at = Timestamptz(default=TimestamptzNow())
