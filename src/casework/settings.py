"""Settings read from the environment once (``get_settings``).

Every knob is a ``CASEWORK_*`` variable; deploy/casework.env lists them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def _default_data_dir() -> Path:
    # The embedded PostgreSQL, when run as root, creates a `pgserver` system
    # user and adds g+rx,o+rx to every folder above its data folder. Under
    # /var/lib that loosens nothing (already 755); under /root it would.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/casework")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "casework"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    jwt_secret: str = ""
    access_token_minutes: int = 30
    log_level: str = "INFO"
    log_json: bool = True
    pool_min: int = 2
    pool_max: int = 10
    # A database that stops answering must not hold a request past a bounded
    # time: connecting, waiting for a pooled connection and each statement
    # are capped (seconds); past the cap the request is answered 503.
    db_connect_timeout_seconds: float = 5.0
    db_acquire_timeout_seconds: float = 5.0
    db_command_timeout_seconds: float = 5.0
    repeat_window_days: int = 365
    due_soon_working_days: int = 3
    sweep_interval_seconds: int = 300
    run_background_tasks: bool = True
    max_request_body_bytes: int = 256 * 1024
    personal_data_key: str = ""
    personal_data_old_keys: tuple[str, ...] = ()

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"


def load_settings() -> Settings:
    env = os.environ
    secret = env.get("CASEWORK_JWT_SECRET") or ""
    if not secret:
        # A per-data-folder secret, so tokens survive a restart of a demo
        # install without anyone having to invent one.
        secret = _persistent_secret("jwt_secret")
    pd_key = env.get("CASEWORK_PERSONAL_DATA_KEY") or _persistent_secret("personal_data_key")
    return Settings(
        database_url=env.get("CASEWORK_DATABASE_URL") or None,
        data_dir=Path(env["CASEWORK_DATA_DIR"]) if env.get("CASEWORK_DATA_DIR") else _default_data_dir(),
        host=env.get("CASEWORK_HOST", "127.0.0.1"),
        port=_int("CASEWORK_PORT", 8000),
        workers=_int("CASEWORK_WORKERS", 1),
        jwt_secret=secret,
        access_token_minutes=_int("CASEWORK_ACCESS_TOKEN_MINUTES", 30),
        log_level=env.get("CASEWORK_LOG_LEVEL", "INFO"),
        log_json=_bool("CASEWORK_LOG_JSON", True),
        pool_min=_int("CASEWORK_POOL_MIN", 2),
        pool_max=_int("CASEWORK_POOL_MAX", 10),
        db_connect_timeout_seconds=_float("CASEWORK_DB_CONNECT_TIMEOUT_SECONDS", 5.0),
        db_acquire_timeout_seconds=_float("CASEWORK_DB_ACQUIRE_TIMEOUT_SECONDS", 5.0),
        db_command_timeout_seconds=_float("CASEWORK_DB_COMMAND_TIMEOUT_SECONDS", 5.0),
        repeat_window_days=_int("CASEWORK_REPEAT_WINDOW_DAYS", 365),
        due_soon_working_days=_int("CASEWORK_DUE_SOON_WORKING_DAYS", 3),
        sweep_interval_seconds=_int("CASEWORK_SWEEP_INTERVAL_SECONDS", 300),
        run_background_tasks=_bool("CASEWORK_BACKGROUND_TASKS", True),
        max_request_body_bytes=_int("CASEWORK_MAX_REQUEST_BODY_BYTES", 256 * 1024),
        personal_data_key=pd_key,
        personal_data_old_keys=tuple(
            k for k in env.get("CASEWORK_PERSONAL_DATA_OLD_KEYS", "").split(",") if k
        ),
    )


def _persistent_secret(name: str) -> str:
    data_dir = Path(os.environ["CASEWORK_DATA_DIR"]) if os.environ.get("CASEWORK_DATA_DIR") else _default_data_dir()
    path = data_dir / "secrets" / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        value = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker wrote it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return value
    except PermissionError:
        return secrets.token_urlsafe(48)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
