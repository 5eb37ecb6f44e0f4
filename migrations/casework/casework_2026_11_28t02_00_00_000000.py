"""Time is an input: SQL reads the service's time through ``casework_now()``.

The service's "now" can be moved for a test, a demo or a story on
statutory dates (casework.timeutil). Python code reads it from
``timeutil.now()``; SQL from ``casework_now()``, which is the
``casework.now`` setting that every connection of the service carries when
the clock was moved, and ``now()`` otherwise (no cost in production). The
business times default to it: when a case was created or changed, a
proceeding opened, an event or record written, a supervision item opened,
a case left the open backlog. Operational times (outbox, deliveries,
leases, throttles, sessions, the admin trail) keep the wall clock: they
measure intervals on it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "casework_now(): the service's time in SQL"

BUSINESS_COLUMNS = [
    ("case_file", "created_at"), ("case_file", "updated_at"), ("proceeding", "opened_at"),
    ("routing_decision", "decided_at"), ("case_event", "at"), ("supervision", "opened_at"),
    ("mediation_session", "recorded_at"), ("mediation_agreement", "recorded_at"),
    ("judicial_confirmation", "recorded_at"), ("reconsideration_decision", "recorded_at"),
    ("lawsuit", "created_at"), ("lawsuit", "updated_at"), ("lawsuit_case", "linked_at"),
    ("lawsuit_hearing", "recorded_at"), ("legal_aid_record", "recorded_at"), ("feedback", "created_at"),
    ("case_change", "at"),
]

SQL = r"""
CREATE FUNCTION casework_now() RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(current_setting('casework.now', true), '')::timestamptz, now())
$$;
""" + "".join(
    f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT casework_now();\n" for table, column in BUSINESS_COLUMNS
) + r"""
-- The backlog's "left the open status at" is the business time too. The
-- function is otherwise unchanged: edit its one line in place, and fail
-- loudly if it is not the function this migration was written against.
DO $$
DECLARE
    definition text := pg_get_functiondef('backlog_refresh(bigint)'::regprocedure);
BEGIN
    IF position('now_.left_open_at := now();' IN definition) = 0 THEN
        RAISE EXCEPTION 'backlog_refresh is not the function this migration expects';
    END IF;
    EXECUTE replace(definition, 'now_.left_open_at := now();', 'now_.left_open_at := casework_now();');
END $$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
