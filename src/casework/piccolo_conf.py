"""Piccolo engine and app registry.

The database URL comes from ``CASEWORK_DATABASE_URL``; the ``casework``
command starts the embedded PostgreSQL and sets it when it is missing
(``casework.db.ensure_database_url``), before this module is imported.
"""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(
    config={"dsn": os.environ.get("CASEWORK_DATABASE_URL", "postgresql:///casework")},
    # gen_random_uuid() is built in since PostgreSQL 13: no extension needed.
    extensions=(),
)

# piccolo_admin signs in through piccolo_user and keeps sessions in
# `sessions`: their tables come from these two apps' own migrations.
APP_REGISTRY = AppRegistry(
    apps=["casework.piccolo_app", "piccolo.apps.user.piccolo_app", "piccolo_api.session_auth.piccolo_app"]
)
