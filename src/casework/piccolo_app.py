"""The Piccolo app: the admin screen's tables and the migrations folder at the top level.

The schema is the SQL of migrations/ (docs/architecture.md); the only table
classes are the ones piccolo_admin edits (casework.admin.tables).
"""

from piccolo.conf.apps import AppConfig

from casework.admin.tables import ADMIN_TABLES
from casework.db import migrations_folder

APP_CONFIG = AppConfig(
    app_name="casework",
    migrations_folder_path=str(migrations_folder()),
    table_classes=list(ADMIN_TABLES),
    migration_dependencies=[],
    commands=[],
)
