"""Online applications: a party files without an account.

- ``app_user`` 'online-filing': the principal an online application is taken
  in as (``created_by``, the timeline's actor, the namespace of its
  Idempotency-Keys). It cannot sign in: inactive, and its password hash is
  no hash at all.
- ``case_file.online_fingerprint``: a keyed hash of the applicant's phone
  and the application's text, for finding a repeated submission of the
  same text from the same phone (NULL for cases registered by staff).
- ``party.sms_consent``: the applicant agreed, when filing, to be told of
  the steps of the case by SMS (NULL: not asked, as for every earlier party).
- ``altcha_spent``: proof-of-work solutions already used, kept until their
  challenge expires, so one solution files once.
- ``open311_app``: a civic app allowed to file through Open311 GeoReport v2,
  with its api_key as a keyed hash (the key is shown once), issued and
  revoked by an administrator.
- ``sms_cursor``, ``sms_message``: SMS to consenting applicants made from
  the outbox (events after this migration only), one per event and party,
  claimed with a lease, retried with backoff, each sending in the timeline.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "online applications: the filing principal, submission fingerprints, SMS consent"

SQL = r"""
INSERT INTO app_user (username, password_hash, display_name, role, body_id, jurisdiction, active)
VALUES ('online-filing', '!not-a-password-hash', '网上申请 (online applications)', 'clerk', NULL, '', false)
ON CONFLICT (username) DO NOTHING;

ALTER TABLE case_file ADD COLUMN online_fingerprint text;
CREATE INDEX case_file_online_fingerprint_idx ON case_file (online_fingerprint, received_at)
    WHERE online_fingerprint IS NOT NULL;

ALTER TABLE party ADD COLUMN sms_consent boolean;

CREATE TABLE altcha_spent (
    signature  text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX altcha_spent_expires_idx ON altcha_spent (expires_at);

CREATE TABLE open311_app (
    id          serial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    contact     text NOT NULL DEFAULT '',
    key_hash    text NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    created_by  integer NOT NULL REFERENCES app_user(id) ON DELETE RESTRICT,
    created_at  timestamptz NOT NULL DEFAULT casework_now(),
    revoked_by  integer REFERENCES app_user(id) ON DELETE RESTRICT,
    revoked_at  timestamptz,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

CREATE TABLE sms_cursor (
    id             smallint PRIMARY KEY CHECK (id = 1),
    last_outbox_id bigint NOT NULL
);
-- Events before this migration are not told by SMS.
INSERT INTO sms_cursor (id, last_outbox_id) SELECT 1, coalesce(max(id), 0) FROM outbox;

CREATE TABLE sms_message (
    id              bigserial PRIMARY KEY,
    outbox_id       bigint NOT NULL REFERENCES outbox(id) ON DELETE RESTRICT,
    case_id         bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    party_id        bigint NOT NULL REFERENCES party(id) ON DELETE RESTRICT,
    phone_hash      text NOT NULL,
    step            text NOT NULL,
    template_id     text NOT NULL,
    params          jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead', 'skipped')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claim_token     uuid,
    claimed_until   timestamptz,
    last_status     integer,
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (outbox_id, party_id),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX sms_message_due_idx ON sms_message (next_attempt_at) WHERE state = 'pending';
CREATE INDEX sms_message_phone_idx ON sms_message (phone_hash, created_at);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
