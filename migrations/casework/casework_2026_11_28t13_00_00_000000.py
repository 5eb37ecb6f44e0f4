"""Records as practitioners run them: case numbers as given, and
confirmable pre-filing judicial mediation.

- ``lawsuit.case_number_as_given``: the number as typed or pushed; the key
  (ASCII parentheses) stays in ``case_number``, so rows stored before keep
  being found. Their as-given form is unknown (NULL): they are shown from
  the key, with full-width parentheses.
- ``mediation_agreement``: whether a judicial mediation was a court-referred
  pre-filing one (``pre_filing``; its agreement may be judicially confirmed)
  and the court's mediation number (诉前调, as given and as key). NULL on
  rows stored before: not confirmable, as they were.

No case event is rewritten; records already open keep working.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records: case numbers as given, pre-filing confirmation"

SQL = r"""
ALTER TABLE lawsuit ADD COLUMN case_number_as_given text CHECK (length(case_number_as_given) > 0);

ALTER TABLE mediation_agreement
    ADD COLUMN pre_filing boolean,
    ADD COLUMN mediation_number text CHECK (length(mediation_number) > 0),
    ADD COLUMN mediation_number_key text,
    ADD CONSTRAINT mediation_agreement_number_pair
        CHECK ((mediation_number IS NULL) = (mediation_number_key IS NULL));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
