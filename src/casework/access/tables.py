from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from casework.reference.tables import Body


class AppUser(Table):
    username = Text(unique=True)
    password_hash = Text(secret=True)
    display_name = Text(default="")
    role = Text()
    body_id = ForeignKey(Body, on_delete=OnDelete.restrict, null=True)
    jurisdiction = Text()  # a division-code prefix
    active = Boolean(default=True)
    # Bumped on deactivation or role change: older tokens stop working at once.
    token_version = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
