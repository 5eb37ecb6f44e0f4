"""Webhook secret rotation with an overlap.

A rotated subscription keeps its previous secret, encrypted like the
current one, until ``previous_secret_until``: deliveries carry a Standard
Webhooks signature made with each valid secret, so a receiver can switch
to the new secret at any point of that window (docs/webhooks.md). The
window is measured on the wall clock, as leases and token expiry are.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhooks: the previous secret stays valid for a while after a rotation"

SQL = r"""
ALTER TABLE webhook_subscription
    ADD COLUMN previous_secret_enc text,
    ADD COLUMN previous_secret_until timestamptz,
    ADD COLUMN secret_rotated_at timestamptz,
    ADD CONSTRAINT webhook_subscription_previous_secret_check
        CHECK ((previous_secret_enc IS NULL) = (previous_secret_until IS NULL));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
