"""Read routing: each user's last write position.

After a signed-in caller's write request the primary's WAL position is
kept here (casework.reads); the caller's next request reads it with the
user row and is served by a standby only once that standby has replayed
it. One row per user, rewritten in place (HOT updates: no index on the
changing columns).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T22:18:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "read routing: the last write position per user"

SQL = r"""
CREATE TABLE read_position (
    user_id    integer PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    lsn        pg_lsn NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 70);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
