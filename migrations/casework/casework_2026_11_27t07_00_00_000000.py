"""Make the deadline sweep's fixed costs independent of the number of
cases (found by the benchmark, bench/README in the main README).

- ``backlog_compact`` read the whole tally (414,000 rows at a million
  cases) on every sweep, every five minutes, to find the few dated rows
  whose day had passed and the rows whose count had come back to zero. It
  now folds the dated rows through an index on their date; rows at zero
  are purged by ``backlog_purge_zero()``, which the sweep runs once a week
  (they only take space: every count is additive).
- The sweep's count of open clocks on an incomplete calendar read every
  open clock; a partial index holds just those.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-27T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sweep costs independent of the number of cases"

SQL = r"""
CREATE INDEX backlog_tally_dated_idx ON backlog_tally (due_on)
    WHERE due_on > '-infinity'::date AND due_on < 'infinity'::date;

CREATE INDEX clock_calendar_incomplete_idx ON clock (time_limit_code)
    WHERE calendar_incomplete AND state <> 'stopped';

-- Weekly and daily housekeeping the sweep does: the day each task last ran.
CREATE TABLE maintenance_run (
    task    text PRIMARY KEY,
    last_on date NOT NULL
);

CREATE OR REPLACE FUNCTION backlog_compact(p_before date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    moved integer;
BEGIN
    WITH gone AS (
        DELETE FROM backlog_tally
        WHERE due_on > '-infinity'::date AND due_on < 'infinity'::date AND due_on < p_before
        RETURNING scope, dim, value, due_on, n
    )
    INSERT INTO backlog_tally AS t (scope, dim, value, due_on, n)
    SELECT scope, dim, value, '-infinity'::date, sum(n) FROM gone
    GROUP BY 1, 2, 3 HAVING sum(n) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (scope, dim, value, due_on) DO UPDATE SET n = t.n + EXCLUDED.n;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END $$;

CREATE OR REPLACE FUNCTION backlog_purge_zero() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    purged integer;
BEGIN
    DELETE FROM backlog_tally WHERE n = 0;
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END $$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
