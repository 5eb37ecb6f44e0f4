"""An index on a clock's proceeding.

The clocks of a proceeding are read on every action (the case's next due
date, the clocks an event stops, the body's clocks a conclusion ends), and
no index led with ``proceeding_id``: each read was a scan of every clock,
or of every open clock in due-date order for ``min(due_on)``. At 200,000
cases that was 8 to 40 ms a read; the sweep's lapses, one case's next due
date each, took 7.5 ms a case.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "clock: index on proceeding_id"

SQL = r"""
CREATE INDEX IF NOT EXISTS clock_proceeding_idx ON clock (proceeding_id);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
