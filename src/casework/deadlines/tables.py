"""Time limits (statutory data), the holiday calendar and running clocks."""

from piccolo.columns import (
    JSONB, Array, BigInt, BigSerial, Boolean, Date, Integer, Text, Timestamptz,
)
from piccolo.table import Table


class TimeLimit(Table):
    code = Text(primary_key=True)
    track = Text()
    step_zh = Text()
    step_en = Text()
    length = Integer()
    unit = Text()  # days | working_days | months
    start_event = Text()
    starts_on = Text()  # the proceeding action that starts the clock
    stops_on = Array(base_column=Text(), default=list)
    pausable = Boolean(default=False)
    extendable = Boolean(default=False)
    extension_length = Integer(default=0)
    extension_unit = Text(default="days")
    extension_approver = Text(default="")
    party_window = Boolean(default=False)
    source = Text()
    verify = Boolean(default=False)
    note = Text(default="")


class CalendarYear(Table):
    year = Integer(primary_key=True)
    source = Text()
    complete = Boolean(default=True)


class CalendarDay(Table):
    day = Date(primary_key=True)
    kind = Text()  # holiday | workday (an adjusted working weekend)
    name = Text(default="")
    source = Text(default="")


class Clock(Table):
    id = BigSerial(primary_key=True)
    case_id = BigInt()
    proceeding_id = BigInt()
    time_limit_code = Text()
    started_on = Date()
    due_on = Date()
    state = Text()  # running | paused | stopped
    paused_since = Date(null=True)
    paused_days = Integer(default=0)
    extended_by = Integer(default=0)
    extension = JSONB(null=True)
    calendar_incomplete = Boolean(default=False)
    stopped_on = Date(null=True)
    met = Boolean(null=True)
    due_soon_marked_at = Timestamptz(null=True)
    breached_marked_at = Timestamptz(null=True)
    record_kind = Text(null=True)  # a record's clock (casework.records), else the proceeding's
    record_id = BigInt(null=True)
