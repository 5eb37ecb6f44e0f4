"""Admin audit written once: by the table's trigger.

Until now the API wrote its own ``admin_event`` row and the trigger skipped
a change when a row for the same entity and key had the same timestamp, a
guess that does not hold when one transaction writes several rows of a
table (a calendar year's days) or the same row twice (a user's role and
password). Now, for every table with an ``admin_audit`` trigger, the
trigger is the only writer: the API, like the /admin mount, sets
``casework.actor_id`` and ``casework.actor_role`` for its transaction and
writes no row itself (casework/admin_log.py).

A password change (password hash and token version, nothing else) is
recorded as action ``password`` with ``{"password_changed": true}``, never
the hash; a change that also sets a password carries
``"password_changed": true`` in ``after``; a rehash on sign-in (same
password, new parameters) is not an administrator's change and is not
recorded. Where no actor is set the change was made in the database
(``database``), or by the command line when it says so (``cli``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "admin audit written once, by the trigger"

SQL = r"""
CREATE OR REPLACE FUNCTION admin_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_entity text := TG_ARGV[0];
    v_before jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'password_hash' END;
    v_after jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'password_hash' END;
    v_key text := coalesce(v_after, v_before) ->> TG_ARGV[1];
    v_actor integer := nullif(current_setting('casework.actor_id', true), '')::integer;
    v_role text := nullif(current_setting('casework.actor_role', true), '');
    v_action text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'DELETE' THEN 'delete' ELSE 'update' END;
BEGIN
    IF TG_OP = 'UPDATE' AND v_before = v_after THEN
        RETURN NULL;  -- nothing an administrator sees changed (a rehash on sign-in)
    END IF;
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> 'password_hash') IS DISTINCT FROM (to_jsonb(NEW) ->> 'password_hash') THEN
        IF (v_before - 'token_version') = (v_after - 'token_version') THEN
            v_action := 'password';
            v_before := NULL;
            v_after := '{"password_changed": true}'::jsonb;
        ELSE
            v_after := v_after || '{"password_changed": true}'::jsonb;
        END IF;
    END IF;
    INSERT INTO admin_event (actor_id, actor_role, entity, key, action, before, after)
    VALUES (v_actor, CASE WHEN v_actor IS NULL THEN coalesce(v_role, 'database') ELSE coalesce(v_role, 'admin') END,
            v_entity, v_key, v_action, v_before, v_after);
    RETURN NULL;
END $$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
