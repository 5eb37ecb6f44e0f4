"""Court case numbers as given: the common type codes, kept as typed,
matched by their key, shown with full-width parentheses.

- ``lawsuit.case_number_as_given``: the number as typed or pushed; the key
  (ASCII parentheses) stays in ``case_number``, so rows stored before keep
  being found. Their as-given form is unknown (NULL): they are shown from
  the key, with full-width parentheses.

No case event is rewritten; records already open keep working.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records: case numbers as given"

SQL = r"""
ALTER TABLE lawsuit ADD COLUMN case_number_as_given text CHECK (length(case_number_as_given) > 0);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
