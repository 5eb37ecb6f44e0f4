"""Labour disputes (劳动争议，含欠薪) go to their own track, labour mediation,
with its 15 days and the arbitration window after it (劳动争议调解仲裁法 arts.
14, 27), instead of people's mediation. The seeded routing rule is moved
unless an administrator has changed it (then it is left as they set it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "labour disputes to labour mediation"

SQL = r"""
UPDATE routing_rule r SET track = 'labour_mediation'
WHERE r.code = 'labour_dispute' AND r.track = 'people_mediation'
  AND NOT EXISTS (SELECT 1 FROM admin_event e WHERE e.entity = 'routing_rule' AND e.key = r.code
                  AND e.actor_id IS NOT NULL);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
