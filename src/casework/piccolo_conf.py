"""Piccolo's configuration: the engine (``casework.piccolo_engine``) and the
app registry that Piccolo's migrations and piccolo_admin read."""

from piccolo.conf.apps import AppRegistry

from casework.piccolo_engine import DB

__all__ = ["APP_REGISTRY", "DB"]

# piccolo_admin signs in through piccolo_user and keeps sessions in
# `sessions`: their tables come from these two apps' own migrations.
APP_REGISTRY = AppRegistry(
    apps=["casework.piccolo_app", "piccolo.apps.user.piccolo_app", "piccolo_api.session_auth.piccolo_app"]
)
