from piccolo.columns import JSONB, BigInt, BigSerial, Integer, SmallInt, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Proceeding(Table):
    """One proceeding of a case on one track; escalation opens the next."""

    id = BigSerial(primary_key=True)
    case_id = BigInt()
    seq = SmallInt()
    track = Text()
    body_id = Integer(null=True)
    assignee_id = Integer(null=True)
    state = Text()
    outcome = Text(null=True)
    previous_id = BigInt(null=True)
    opened_at = Timestamptz(default=TimestamptzNow())
    accepted_at = Timestamptz(null=True)
    concluded_at = Timestamptz(null=True)
    opened_reason = Text(default="")
    details = JSONB(default={})
