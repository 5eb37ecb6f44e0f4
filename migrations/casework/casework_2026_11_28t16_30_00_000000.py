"""Case events name the transaction that wrote them.

``case_event.tx`` is the writing transaction's id (``pg_current_xact_id()``):
the events one action wrote (its own event and the clocks it stopped and
started) share it, so a later correction of the action's effective date
finds exactly the clocks that action moved. Rows written before this
migration keep ``tx`` empty; their ``xmin`` (never changed: the table is
append-only) names the same transaction.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case events name their transaction"

SQL = r"""
ALTER TABLE case_event ADD COLUMN tx bigint;
ALTER TABLE case_event ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text::bigint);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
