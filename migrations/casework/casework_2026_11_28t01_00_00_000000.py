"""Access: records shared between cases stay within a scope; the admin
screen cannot write users.

- A lawsuit (by its court case number) and a legal-aid application (by the
  centre's number) were unique across the whole database, so a clerk of
  another county who linked the same number joined the first county's
  record (its cause, hearing notes and timeline) or was told by a 409 that
  it existed. Now each scope keeps its own record of the same suit or
  application (docs/access.md, "Records shared between cases"); the court's
  and the centre's pushes update every record with the number.
- Users are managed through the API and the CLI only (scoped to the
  admin's jurisdiction, audited, tokens revoked on a password change). The
  admin screen's write transactions set ``casework.admin_screen``; a
  trigger refuses any write to ``app_user`` in such a transaction, whatever
  the screen offers.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records shared per scope; admin screen cannot write users"

SQL = r"""
ALTER TABLE lawsuit DROP CONSTRAINT lawsuit_case_number_key;
CREATE INDEX lawsuit_case_number_idx ON lawsuit (case_number);

ALTER TABLE legal_aid_record DROP CONSTRAINT legal_aid_record_external_id_key;
CREATE INDEX legal_aid_record_external_id_idx ON legal_aid_record (external_id) WHERE external_id IS NOT NULL;

CREATE FUNCTION app_user_not_from_admin_screen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('casework.admin_screen', true) = 'on' THEN
        RAISE EXCEPTION 'users are managed through the API or the casework command, not the admin screen'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER app_user_not_from_admin_screen BEFORE INSERT OR UPDATE OR DELETE ON app_user
    FOR EACH ROW EXECUTE FUNCTION app_user_not_from_admin_screen();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
