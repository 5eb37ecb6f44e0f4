"""Supervision items (督办) and sweep bookkeeping for proceedings and clocks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-27T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "supervision items, mediation sessions, queue indexes"

SQL = r"""
CREATE TABLE supervision (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id bigint REFERENCES proceeding(id) ON DELETE RESTRICT,
    clock_id      bigint REFERENCES clock(id) ON DELETE RESTRICT,
    body_id       integer REFERENCES body(id) ON DELETE RESTRICT,
    opened_at     timestamptz NOT NULL DEFAULT now(),
    opened_by     integer REFERENCES app_user(id) ON DELETE RESTRICT,
    reason        text NOT NULL,
    respond_by    date,
    state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    closed_at     timestamptz
);
-- The sweep opens at most one item per breached clock, however often it runs.
CREATE UNIQUE INDEX supervision_clock_idx ON supervision (clock_id) WHERE clock_id IS NOT NULL;
CREATE INDEX supervision_case_idx ON supervision (case_id, state);
CREATE INDEX clock_due_soon_idx ON clock (due_on) WHERE state = 'running' AND due_soon_marked_at IS NULL;
CREATE INDEX clock_breach_idx ON clock (due_on) WHERE state = 'running' AND breached_marked_at IS NULL;
CREATE INDEX case_file_queue_idx ON case_file (body_id, next_due_on, id) WHERE status = 'open';
CREATE TABLE mediation_session (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id bigint NOT NULL REFERENCES proceeding(id) ON DELETE RESTRICT,
    held_on       date NOT NULL,
    location      text NOT NULL DEFAULT '',
    mediator_id   integer REFERENCES app_user(id) ON DELETE RESTRICT,
    participants  text[] NOT NULL DEFAULT '{}',
    notes         text NOT NULL DEFAULT '',
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mediation_session_case_idx ON mediation_session (case_id, held_on);
CREATE INDEX case_file_assignee_idx ON case_file (assignee_id, next_due_on, id) WHERE status = 'open';
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
