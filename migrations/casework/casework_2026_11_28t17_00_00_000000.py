"""One timestamp format; refresh tokens bound to a device.

- ``casework_rfc3339(timestamptz)``: the text of a moment as every body
  carries it, RFC 3339 in UTC with ``Z`` (``timeutil.rfc3339`` in Python).
  ``to_jsonb(timestamptz)`` writes ``+00:00``, so the outbox payloads
  (webhooks) and JSON built in SQL use this instead.
- ``device_session``: a signed-in device (a phone, a desk browser) of a
  user; one live session per user and device id. It ends when revoked (by
  the user, an admin, a new sign-in on the same device, a reused refresh
  token, a change to the user), unused past the idle lifetime or past the
  absolute one (docs/access.md).
- ``refresh_token``: the SHA-256 of each refresh token of a session, never
  the token. Each is used once; using one again (a stolen copy, or the
  legitimate one after the thief) revokes its whole session.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "casework_rfc3339(); refresh tokens and device sessions"

SQL = r"""
CREATE FUNCTION casework_rfc3339(moment timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_char(moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

CREATE TABLE device_session (
    id             bigserial PRIMARY KEY,
    user_id        integer NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
    device_id      text NOT NULL CHECK (device_id ~ '^[A-Za-z0-9._:-]{1,100}$'),
    -- the user's token_version at sign-in: a role, password or activity change ends the session
    token_version  integer NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('signed_in_again', 'revoked', 'reuse_detected', 'user_changed',
                                                  'expired')),
    revoked_by     integer REFERENCES app_user(id) ON DELETE SET NULL,
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE UNIQUE INDEX device_session_live_idx ON device_session (user_id, device_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_token (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id bigint NOT NULL REFERENCES device_session(id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_token_session_idx ON refresh_token (session_id);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
