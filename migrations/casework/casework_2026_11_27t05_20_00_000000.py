"""Access and personal data: throttles, party feedback, audit indexes.

- ``throttle_event``: one row per counted attempt (failed sign-ins, failed
  public lookups), keyed by a keyed hash of the username, address or case
  reference, so several workers share one count (docs/access.md).
- ``feedback``: a party's rating of a concluded proceeding, once per
  proceeding. Another branch may create the same table; the shape is agreed
  and ``IF NOT EXISTS`` lets both migrations apply.
- Indexes for ``GET /api/v1/audit/events`` (by time, by actor, by type).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-27T05:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "throttles, feedback, audit indexes"

SQL = r"""
CREATE TABLE throttle_event (
    id     bigserial PRIMARY KEY,
    bucket text NOT NULL,
    key    text NOT NULL,
    at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX throttle_event_key_idx ON throttle_event (bucket, key, at);
CREATE INDEX throttle_event_at_idx ON throttle_event (at);

CREATE TABLE IF NOT EXISTS feedback (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id bigint NOT NULL REFERENCES proceeding(id) ON DELETE RESTRICT,
    rating        text NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    comment       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (proceeding_id)
);
CREATE INDEX IF NOT EXISTS feedback_case_idx ON feedback (case_id);

CREATE INDEX IF NOT EXISTS case_event_at_idx ON case_event (at, id);
CREATE INDEX IF NOT EXISTS case_event_actor_idx ON case_event (actor_id, at);
CREATE INDEX IF NOT EXISTS case_event_type_idx ON case_event (type, at);
CREATE INDEX IF NOT EXISTS admin_event_at_idx ON admin_event (at, id);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def create_schema():
        await execute_script(SQL)

    manager.add_raw(create_schema)
    return manager
