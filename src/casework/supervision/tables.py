"""The ``supervision`` table as Piccolo sees it. SQL is the truth
(migrations 2026-11-27T04:30, 2026-11-28T05:00 and T12:00); a test compares
this class with ``information_schema``."""

from piccolo.columns import BigInt, BigSerial, Date, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Supervision(Table):
    """One supervision item: opened by a supervisor (``supervise`` action) or
    by the deadline sweep on a body's breached clock (``clock_id`` set)."""

    id = BigSerial(primary_key=True)
    case_id = BigInt()
    proceeding_id = BigInt(null=True)
    clock_id = BigInt(null=True)
    body_id = Integer(null=True)  # the supervising body
    opened_at = Timestamptz(default=TimestamptzNow())
    opened_by = Integer(null=True)  # empty: opened by the sweep
    reason = Text()
    respond_by = Date(null=True)
    state = Text(default="open")
    closed_at = Timestamptz(null=True)
    closed_reason = Text(null=True)
    response = Text(null=True)
    responded_at = Timestamptz(null=True)
    responded_by = Integer(null=True)
    closed_by = Integer(null=True)
