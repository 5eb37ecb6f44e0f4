"""The sync feed follows the one scope rule, bodies included.

``case_change`` recorded only the division a case was in when it changed,
so a mediator's phone was fed every case of the division, other bodies'
included. Each row now carries the case's body and assignee as the
transaction left them, and as they were before it (``old_*``): the feed
gives a mediator the changes of cases that are, or were, with their body
or assigned to them (the latter as ``gone``), and nothing else. The
division a case left is recorded the same way (the old trigger's second
insert for a moved case collided with its first on the primary key and
was never written).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync feed rows carry body and assignee"

SQL = r"""
ALTER TABLE case_change
    ADD COLUMN body_id integer,
    ADD COLUMN assignee_id integer,
    ADD COLUMN old_division_code text COLLATE "C",
    ADD COLUMN old_body_id integer,
    ADD COLUMN old_assignee_id integer;

UPDATE case_change x SET body_id = c.body_id, assignee_id = c.assignee_id
FROM case_file c WHERE c.id = x.case_id;

CREATE OR REPLACE FUNCTION case_change_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One row per transaction and case: the state it left the case in, and
    -- (first write wins) the state it found.
    INSERT INTO case_change (case_id, division_code, body_id, assignee_id,
                             old_division_code, old_body_id, old_assignee_id)
    VALUES (NEW.id, NEW.division_code, NEW.body_id, NEW.assignee_id,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.division_code END,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.body_id END,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.assignee_id END)
    ON CONFLICT (txid, case_id) DO UPDATE SET
        division_code = EXCLUDED.division_code, body_id = EXCLUDED.body_id, assignee_id = EXCLUDED.assignee_id;
    RETURN NULL;
END $$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
