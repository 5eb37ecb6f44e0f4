"""The Piccolo app: the admin screen's tables and the migrations folder at the top level.

The schema is the SQL of migrations/ (docs/architecture.md); the only table
classes are the ones piccolo_admin edits (casework.admin.tables).
"""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from casework.admin.tables import ADMIN_TABLES


def _migrations_folder() -> str:
    # Top-level migrations/ of the repository (the package is installed
    # editable; see README). Fall back to a copy inside the package.
    repo = Path(__file__).resolve().parents[2] / "migrations" / "casework"
    return str(repo if repo.exists() else Path(__file__).parent / "_migrations")


APP_CONFIG = AppConfig(
    app_name="casework",
    migrations_folder_path=_migrations_folder(),
    table_classes=list(ADMIN_TABLES),
    migration_dependencies=[],
    commands=[],
)
