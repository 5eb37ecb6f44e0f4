"""Delivery failures as codes (docs/webhooks.md): rewrite the free text
earlier versions stored in ``webhook_delivery.last_error``.

That text was the exception's message, which named internal hosts and told
a refused port from a filtered one; the deliveries list shows it to
administrators. Rows already holding a code are left alone.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook delivery failures as codes"

SQL = r"""
UPDATE webhook_delivery SET last_error = CASE
    WHEN last_error ~ '^HTTP [0-9]{3}$' THEN 'http_' || substr(last_error, 6)
    WHEN last_error LIKE 'payload carries personal data%' THEN 'personal_data_held_back'
    WHEN last_error LIKE 'the subscription secret cannot be decrypted%' THEN 'secret_unreadable'
    WHEN last_error ~ '^(Connect|Read|Write|Pool)Timeout' THEN 'timeout'
    WHEN last_error LIKE 'ConnectError%' THEN 'connect_failed'
    WHEN last_error LIKE 'RemoteProtocolError%' THEN 'protocol_error'
    WHEN last_error ~ '^(Read|Write)Error' THEN 'connection_lost'
    ELSE 'request_failed' END
WHERE last_error IS NOT NULL AND last_error !~ '^[a-z0-9_]+$';
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
