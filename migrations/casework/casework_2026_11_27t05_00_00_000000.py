"""Outbound webhooks: subscriptions, one delivery per event x subscription,
and a fan-out mark on the outbox.

The dispatcher fans out outbox rows that have no ``dispatched_at`` yet and
sets it in the same transaction: a row committed late (lower id, later
commit) is still picked up, which a "last id seen" cursor would miss.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-27T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook subscriptions and deliveries"

SQL = r"""
CREATE TABLE webhook_subscription (
    id              serial PRIMARY KEY,
    url             text NOT NULL CHECK (url ~ '^https?://[^/?#\s]+'),
    -- Fernet-encrypted (casework.personal.crypto): it signs, so it must be readable.
    secret_enc      text NOT NULL,
    -- empty = every event type
    event_types     text[] NOT NULL DEFAULT '{}',
    -- only cases whose division_code starts with it; '' = everywhere
    division_prefix text COLLATE "C" NOT NULL DEFAULT '' CHECK (division_prefix ~ '^[0-9]{0,12}$'),
    description     text NOT NULL DEFAULT '',
    active          boolean NOT NULL DEFAULT true,
    -- events recorded before the subscription existed are not sent to it
    starts_after_outbox_id bigint NOT NULL DEFAULT 0,
    created_by      integer REFERENCES app_user(id) ON DELETE RESTRICT,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_delivery (
    id              bigserial PRIMARY KEY,
    subscription_id integer NOT NULL REFERENCES webhook_subscription(id) ON DELETE RESTRICT,
    outbox_id       bigint NOT NULL REFERENCES outbox(id) ON DELETE RESTRICT,
    event_id        bigint NOT NULL,
    case_id         bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    event_type      text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- the lease: whoever holds claim_token may deliver until claimed_until;
    -- a crashed instance's claim simply expires
    claimed_by      text,
    claim_token     uuid,
    claimed_until   timestamptz,
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    dead_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, outbox_id),
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
    CHECK ((state = 'dead') = (dead_at IS NOT NULL))
);
-- due work, and the head-of-line check (an earlier pending event of the
-- same case for the same subscription holds the later ones back)
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_delivery_order_idx ON webhook_delivery (subscription_id, case_id, outbox_id)
    WHERE state = 'pending';
CREATE INDEX webhook_delivery_list_idx ON webhook_delivery (subscription_id, state, id);

ALTER TABLE outbox ADD COLUMN dispatched_at timestamptz;
-- Events recorded before webhooks existed had no subscriber to go to.
UPDATE outbox SET dispatched_at = now();
CREATE INDEX outbox_undispatched_idx ON outbox (id) WHERE dispatched_at IS NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def create_schema():
        await execute_script(SQL)

    manager.add_raw(create_schema)
    return manager
