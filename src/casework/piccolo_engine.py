"""The Piccolo engine, alone.

``casework.db`` takes it from here, and ``piccolo_conf`` names it for
Piccolo's own commands. Kept apart from the app registry there, whose
import (``piccolo.conf.apps``) brings black and the migration machinery
that a serving process never uses.

The database URL comes from ``CASEWORK_DATABASE_URL``; the ``casework``
command starts the embedded PostgreSQL and sets it when it is missing
(``casework.embedded.ensure_database_url``), before this module is imported.
"""

import os

from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(
    config={"dsn": os.environ.get("CASEWORK_DATABASE_URL", "postgresql:///casework")},
    # gen_random_uuid() is built in since PostgreSQL 13: no extension needed.
    extensions=(),
)
