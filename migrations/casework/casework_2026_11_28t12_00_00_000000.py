"""Supervision items (督办) get the handler's answer and who closed them.

- ``response``, ``responded_at``, ``responded_by``: the handling body's
  answer to a supervision item, once (a second answer is a new item);
  text and moment come together or not at all.
- ``closed_by``: the supervisor who closed the item from the API; items
  the system closes (the case closed, a breach withdrawn) keep it empty
  and say why in ``closed_reason``.
- ``supervision_state_idx``: the bureau's list of open (or closed) items
  in its scope, newest first, without reading the closed ones.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "supervision responses and who closed an item"

SQL = r"""
ALTER TABLE supervision
    ADD COLUMN response     text,
    ADD COLUMN responded_at timestamptz,
    ADD COLUMN responded_by integer REFERENCES app_user(id) ON DELETE RESTRICT,
    ADD COLUMN closed_by    integer REFERENCES app_user(id) ON DELETE RESTRICT,
    ADD CONSTRAINT supervision_response_whole CHECK ((response IS NULL) = (responded_at IS NULL));
CREATE INDEX supervision_state_idx ON supervision (state, id);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
