"""Webhook subscriptions and deliveries.

The schema (checks, partial indexes, foreign keys with ON DELETE RESTRICT)
is in migrations/casework/casework_2026_11_27t05_00_00_000000.py; references
are plain integer columns here for the reason given in cases/tables.py.
"""

from piccolo.columns import Array, BigInt, BigSerial, Boolean, Integer, Serial, Text, Timestamptz, UUID
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class WebhookSubscription(Table):
    id = Serial(primary_key=True)
    url = Text()
    secret_enc = Text(secret=True)
    event_types = Array(base_column=Text(), default=[])
    division_prefix = Text(default="")
    description = Text(default="")
    active = Boolean(default=True)
    starts_after_outbox_id = BigInt(default=0)
    created_by = Integer(null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table):
    id = BigSerial(primary_key=True)
    subscription_id = Integer()
    outbox_id = BigInt()
    event_id = BigInt()
    case_id = BigInt()
    event_type = Text()
    state = Text(default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    claimed_by = Text(null=True)
    claim_token = UUID(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    last_attempt_at = Timestamptz(null=True, default=None)
    last_status = Integer(null=True)
    last_error = Text(null=True)
    delivered_at = Timestamptz(null=True, default=None)
    dead_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
