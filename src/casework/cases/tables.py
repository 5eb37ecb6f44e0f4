"""Cases, their parties, the append-only event timeline and the outbox.

References to cases are plain BigInt columns with the foreign keys (ON
DELETE RESTRICT) declared in the migration: Piccolo's ForeignKey would
default to cascade, and nothing about a case may vanish with it.
"""

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    Integer,
    Numeric,
    SmallInt,
    Text,
    Timestamptz,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class ReferenceCounter(Table):
    county_code = Text(primary_key=True)
    year = Integer()
    last_seq = Integer()


class CaseFile(Table):
    id = BigSerial(primary_key=True)
    reference = Text(unique=True)
    county_code = Text()
    year = Integer()
    seq = Integer()
    kind = Text()
    channel = Text()
    petition_type = Text(null=True)
    category_code = Text()
    summary = Text()
    description = Text(default="")
    division_code = Text()
    occurred_on = Date(null=True)
    received_at = Timestamptz()
    headcount = Integer()
    collective = Boolean()
    amount_in_dispute = Numeric(digits=(16, 2), null=True)
    act_known_on = Date(null=True)
    pending_litigation = Boolean(default=False)
    risk_level = Text()
    status = Text()
    track = Text()
    stage = Text()
    body_id = Integer(null=True)
    assignee_id = Integer(null=True)
    current_proceeding_id = BigInt(null=True)
    next_due_on = Date(null=True)
    receipt_code_hash = Text(secret=True)
    created_by = Integer(null=True)
    related_case_id = BigInt(null=True)
    possible_repeats = JSONB(default=[])
    not_accepted_reason = Text(null=True)
    terminated = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True)
    version = Integer(default=1)


class Party(Table):
    id = BigSerial(primary_key=True)
    case_id = BigInt()
    position = SmallInt()
    role = Text()
    kind = Text()
    name = Text()
    id_number_enc = Text(null=True, secret=True)
    id_number_hash = Text(null=True, secret=True)
    id_number_masked = Text(null=True)
    phone_enc = Text(null=True, secret=True)
    phone_hash = Text(null=True, secret=True)
    phone_masked = Text(null=True)
    address_enc = Text(null=True, secret=True)


class CaseEvent(Table):
    """Append-only: the database refuses UPDATE, DELETE and TRUNCATE."""

    id = BigSerial(primary_key=True)
    case_id = BigInt()
    proceeding_id = BigInt(null=True)
    at = Timestamptz(default=TimestamptzNow())
    actor_id = Integer(null=True)
    actor_role = Text(null=True)
    type = Text()
    data = JSONB(default={})


class Outbox(Table):
    id = BigSerial(primary_key=True)
    event_id = BigInt()
    case_id = BigInt()
    type = Text()
    payload = JSONB()
    created_at = Timestamptz(default=TimestamptzNow())
    dispatched_at = Timestamptz(null=True)  # fanned out to webhook deliveries
