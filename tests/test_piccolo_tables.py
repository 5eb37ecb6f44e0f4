"""One truth for the schema: the SQL of migrations/. The Piccolo classes the
admin screen edits (casework.admin.tables) must say what the migrated
database says, column by column, or this fails."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    Integer,
    Numeric,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)

from casework.admin.tables import ADMIN_TABLES
from casework.piccolo_app import APP_CONFIG

# What information_schema.columns.data_type says for each Piccolo column class.
DATA_TYPE = {
    Text: "text", Varchar: "character varying", Integer: "integer", Serial: "integer", SmallInt: "smallint",
    BigInt: "bigint", BigSerial: "bigint", Boolean: "boolean", Date: "date",
    Timestamptz: "timestamp with time zone", JSONB: "jsonb", Numeric: "numeric", Array: "ARRAY",
}


def test_the_piccolo_app_declares_only_the_admin_tables():
    assert set(APP_CONFIG.table_classes) == set(ADMIN_TABLES)


async def test_every_admin_table_class_matches_the_migrated_schema(db):
    problems: list[str] = []
    for table in ADMIN_TABLES:
        name = table._meta.tablename
        rows = await db.fetch(
            """SELECT column_name, data_type, is_nullable, column_default, is_identity
               FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1""",
            name,
        )
        actual = {r["column_name"]: r for r in rows}
        if not actual:
            problems.append(f"{name}: no such table")
            continue
        declared = {c._meta.db_column_name: c for c in table._meta.columns}
        for column_name, column in declared.items():
            row = actual.get(column_name)
            if row is None:
                problems.append(f"{name}.{column_name}: declared, not in the database")
                continue
            expected = DATA_TYPE.get(type(column))
            if expected is None:
                problems.append(f"{name}.{column_name}: {type(column).__name__} has no known SQL type here")
            elif row["data_type"] != expected:
                problems.append(f"{name}.{column_name}: declared {expected}, the database has {row['data_type']}")
            if (row["is_nullable"] == "YES") != bool(column._meta.null) and not column._meta.primary_key:
                problems.append(f"{name}.{column_name}: declared null={column._meta.null}, "
                                f"the database says nullable {row['is_nullable']}")
        # A NOT NULL column without a default that the class leaves out would
        # make every row the admin screen adds fail.
        for column_name, row in actual.items():
            if (column_name not in declared and row["is_nullable"] == "NO" and row["column_default"] is None
                    and row["is_identity"] != "YES"):
                problems.append(f"{name}.{column_name}: required in the database, missing from the class")
    assert not problems, "\n".join(problems)
