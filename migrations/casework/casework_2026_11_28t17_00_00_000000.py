"""One timestamp format; refresh tokens bound to a device.

- ``casework_rfc3339(timestamptz)``: the text of a moment as every body
  carries it, RFC 3339 in UTC with ``Z`` (``timeutil.rfc3339`` in Python).
  ``to_jsonb(timestamptz)`` writes ``+00:00``, so the outbox payloads
  (webhooks) and JSON built in SQL use this instead.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "casework_rfc3339(); refresh tokens and device sessions"

SQL = r"""
CREATE FUNCTION casework_rfc3339(moment timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_char(moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
