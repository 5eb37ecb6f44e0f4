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


EXTERNAL_SYSTEMS = ("court", "legal_aid")


@dataclass(frozen=True)
class ExternalSystem:
    """How to reach one outside system (``CASEWORK_<NAME>_*``); see integrations/connector.py."""

    name: str
    base_url: str = ""
    token: str = ""  # bearer token; wins over username/password
    username: str = ""
    password: str = ""
    timeout_seconds: float = 10.0
    max_attempts: int = 3
    backoff_base_seconds: float = 0.5


def _external_system(name: str) -> ExternalSystem:
    prefix = f"CASEWORK_{name.upper()}_"
    return ExternalSystem(
        name=name,
        base_url=os.environ.get(prefix + "BASE_URL", ""),
        token=os.environ.get(prefix + "TOKEN", ""),
        username=os.environ.get(prefix + "USERNAME", ""),
        password=os.environ.get(prefix + "PASSWORD", ""),
        timeout_seconds=_float(prefix + "TIMEOUT_SECONDS", 10.0),
        max_attempts=_int(prefix + "MAX_ATTEMPTS", 3),
        backoff_base_seconds=_float(prefix + "BACKOFF_BASE_SECONDS", 0.5),
    )


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    keep_alive_seconds: int = 30
    # Peers whose X-Forwarded-For / -Proto are believed (addresses or networks,
    # comma-separated); none by default (docs/access.md, serving.py).
    forwarded_allow_ips: str = ""
    # A request's head, and then its body, must arrive within these (seconds).
    request_header_timeout_seconds: float = 10.0
    request_body_timeout_seconds: float = 30.0
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
    # Read routing (casework.reads, README "Read routing"): heavy read-only
    # routes may go to a standby named here (several hosts allowed, with
    # target_session_attrs=standby); empty: every read on the primary. A
    # standby whose replay is further behind the primary than the lag
    # setting (seconds) is left out until it catches up; it is checked
    # this often.
    read_database_url: str = ""
    read_max_lag_seconds: float = 5.0
    read_check_seconds: float = 1.0
    repeat_window_days: int = 365
    due_soon_working_days: int = 3
    sweep_interval_seconds: int = 300
    # connections the deadline sweep works on side by side (disjoint cases)
    sweep_connections: int = 2
    run_background_tasks: bool = True
    max_request_body_bytes: int = 256 * 1024
    personal_data_key: str = ""
    personal_data_old_keys: tuple[str, ...] = ()
    # Outbound webhooks (casework.webhooks.dispatcher).
    webhook_max_attempts: int = 12
    webhook_backoff_base_seconds: float = 5.0
    webhook_backoff_max_seconds: float = 3600.0
    webhook_timeout_seconds: float = 10.0
    webhook_lease_seconds: float = 60.0
    webhook_poll_interval_seconds: float = 2.0
    webhook_batch_size: int = 50
    # Host names or networks webhooks may reach although they are not public
    # (loopback, private, link-local...): none by default (webhooks/targets.py).
    webhook_allowed_hosts: tuple[str, ...] = ()
    # After a secret rotation the previous secret signs too, this long (signing.py).
    webhook_secret_overlap_seconds: int = 86400
    # /metrics answers only a bearer of this token; empty: /metrics is off (404).
    metrics_token: str = ""
    # OTLP/HTTP collector for traces (telemetry.py); empty: no tracing.
    otel_endpoint: str = ""
    # Outbound connector to court and legal-aid systems.
    external_systems: tuple[ExternalSystem, ...] = ()
    # Personal data (names excepted) in webhooks, exports and logs: off unless
    # an operator with a legal basis turns it on (docs/personal-data.md).
    personal_data_outbound: bool = False
    # A token-only client (no device id) may renew its access token (sliding)
    # up to this long after sign-in; kept one version for old clients.
    session_max_hours: int = 12
    # Refresh tokens, bound to a device (docs/access.md): unused for this
    # long they lapse; however used, the device signs in again after this.
    refresh_idle_days: int = 30
    refresh_absolute_days: int = 90
    # Origins browsers may call the API from (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    # Password hashes (access/passwords.py): at most this many at once per
    # process (19 MiB each), this many more waiting, each this long at most.
    password_hash_concurrency: int = 1
    password_hash_queue: int = 64
    password_hash_wait_seconds: float = 10.0
    # Throttles (docs/access.md, docs/public-lookup.md): failures allowed per window.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    lookup_failures_per_reference: int = 10
    lookup_reference_window_hours: int = 24
    lookup_failures_per_address: int = 30
    lookup_address_window_minutes: int = 60
    # Online filing (docs/public.md): the ALTCHA proof of work (HMAC key,
    # the largest number a client may have to try, minutes a challenge
    # stays valid), filings allowed per window from one address, one phone,
    # into one division, and how long the same text from the same phone
    # counts as a duplicate.
    altcha_hmac_key: str = ""
    altcha_max_number: int = 100_000
    altcha_expires_minutes: int = 20
    filings_per_address: int = 10
    filings_per_phone: int = 5
    filings_per_division: int = 200
    filings_per_app: int = 2000  # an Open311 app files for many people from one address
    filing_window_hours: int = 24
    filing_duplicate_window_hours: int = 72
    # SMS to applicants who consented (docs/public.md): the gateway's URL
    # (empty: no SMS), its bearer token, template ids per step
    # ("registered=SMS_1,accepted=SMS_2"; a step not named uses its code),
    # messages per phone per day, tries, and the timeout per try.
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_template_ids: str = ""
    sms_per_phone_per_day: int = 10
    sms_max_attempts: int = 8
    sms_timeout_seconds: float = 10.0
    # Attachments (docs/documents.md): where files are kept ("local": a folder
    # beside the embedded database's, or "s3": S3-compatible object storage),
    # and how large one file, and all of one case's files, may be.
    storage_backend: str = "local"
    files_dir: Path | None = None  # default <data_dir>/files
    s3_bucket: str = ""
    s3_endpoint: str = ""  # e.g. http://127.0.0.1:9000 for MinIO; empty: AWS
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = ""
    attachment_max_bytes: int = 100 * 1024 * 1024
    case_files_max_bytes: int = 1024 * 1024 * 1024
    # An upload's body may take this long (seconds); other requests keep request_body_timeout_seconds.
    upload_body_timeout_seconds: float = 600.0
    # An object written by an upload that never committed is removed by the
    # sweep once it is this old (an upload still streaming is not touched).
    orphan_grace_seconds: int = 3600

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def files_root(self) -> Path:
        """Where the local store keeps files: a sibling of the embedded database's folder."""
        return self.files_dir or self.data_dir / "files"


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
        keep_alive_seconds=_int("CASEWORK_KEEP_ALIVE_SECONDS", 30),
        forwarded_allow_ips=env.get("CASEWORK_FORWARDED_ALLOW_IPS", ""),
        request_header_timeout_seconds=_float("CASEWORK_REQUEST_HEADER_TIMEOUT_SECONDS", 10.0),
        request_body_timeout_seconds=_float("CASEWORK_REQUEST_BODY_TIMEOUT_SECONDS", 30.0),
        jwt_secret=secret,
        access_token_minutes=_int("CASEWORK_ACCESS_TOKEN_MINUTES", 30),
        log_level=env.get("CASEWORK_LOG_LEVEL", "INFO"),
        log_json=_bool("CASEWORK_LOG_JSON", True),
        pool_min=_int("CASEWORK_POOL_MIN", 2),
        pool_max=_int("CASEWORK_POOL_MAX", 10),
        db_connect_timeout_seconds=_float("CASEWORK_DB_CONNECT_TIMEOUT_SECONDS", 5.0),
        db_acquire_timeout_seconds=_float("CASEWORK_DB_ACQUIRE_TIMEOUT_SECONDS", 5.0),
        db_command_timeout_seconds=_float("CASEWORK_DB_COMMAND_TIMEOUT_SECONDS", 5.0),
        read_database_url=env.get("CASEWORK_READ_DATABASE_URL", "").strip(),
        read_max_lag_seconds=_float("CASEWORK_READ_MAX_LAG_SECONDS", 5.0),
        read_check_seconds=_float("CASEWORK_READ_CHECK_SECONDS", 1.0),
        repeat_window_days=_int("CASEWORK_REPEAT_WINDOW_DAYS", 365),
        due_soon_working_days=_int("CASEWORK_DUE_SOON_WORKING_DAYS", 3),
        sweep_interval_seconds=_int("CASEWORK_SWEEP_INTERVAL_SECONDS", 300),
        sweep_connections=_int("CASEWORK_SWEEP_CONNECTIONS", 2),
        run_background_tasks=_bool("CASEWORK_BACKGROUND_TASKS", True),
        max_request_body_bytes=_int("CASEWORK_MAX_REQUEST_BODY_BYTES", 256 * 1024),
        personal_data_key=pd_key,
        personal_data_old_keys=tuple(
            k for k in env.get("CASEWORK_PERSONAL_DATA_OLD_KEYS", "").split(",") if k
        ),
        webhook_max_attempts=_int("CASEWORK_WEBHOOK_MAX_ATTEMPTS", 12),
        webhook_backoff_base_seconds=_float("CASEWORK_WEBHOOK_BACKOFF_BASE_SECONDS", 5.0),
        webhook_backoff_max_seconds=_float("CASEWORK_WEBHOOK_BACKOFF_MAX_SECONDS", 3600.0),
        webhook_timeout_seconds=_float("CASEWORK_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_lease_seconds=_float("CASEWORK_WEBHOOK_LEASE_SECONDS", 60.0),
        webhook_poll_interval_seconds=_float("CASEWORK_WEBHOOK_POLL_INTERVAL_SECONDS", 2.0),
        webhook_batch_size=_int("CASEWORK_WEBHOOK_BATCH_SIZE", 50),
        webhook_allowed_hosts=tuple(
            h.strip() for h in env.get("CASEWORK_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
        ),
        metrics_token=env.get("CASEWORK_METRICS_TOKEN", ""),
        otel_endpoint=env.get("CASEWORK_OTEL_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
        webhook_secret_overlap_seconds=_int("CASEWORK_WEBHOOK_SECRET_OVERLAP_SECONDS", 86400),
        external_systems=tuple(_external_system(name) for name in EXTERNAL_SYSTEMS),
        personal_data_outbound=_bool("CASEWORK_PERSONAL_DATA_OUTBOUND", False),
        session_max_hours=_int("CASEWORK_SESSION_MAX_HOURS", 12),
        refresh_idle_days=_int("CASEWORK_REFRESH_IDLE_DAYS", 30),
        refresh_absolute_days=_int("CASEWORK_REFRESH_ABSOLUTE_DAYS", 90),
        cors_origins=tuple(o.strip() for o in env.get("CASEWORK_CORS_ORIGINS", "").split(",") if o.strip()),
        password_hash_concurrency=_int("CASEWORK_PASSWORD_HASH_CONCURRENCY", 1),
        password_hash_queue=_int("CASEWORK_PASSWORD_HASH_QUEUE", 64),
        password_hash_wait_seconds=_float("CASEWORK_PASSWORD_HASH_WAIT_SECONDS", 10.0),
        login_failures_per_account=_int("CASEWORK_LOGIN_FAILURES_PER_ACCOUNT", 5),
        login_failures_per_address=_int("CASEWORK_LOGIN_FAILURES_PER_ADDRESS", 20),
        login_window_minutes=_int("CASEWORK_LOGIN_WINDOW_MINUTES", 15),
        lookup_failures_per_reference=_int("CASEWORK_LOOKUP_FAILURES_PER_REFERENCE", 10),
        lookup_reference_window_hours=_int("CASEWORK_LOOKUP_REFERENCE_WINDOW_HOURS", 24),
        lookup_failures_per_address=_int("CASEWORK_LOOKUP_FAILURES_PER_ADDRESS", 30),
        lookup_address_window_minutes=_int("CASEWORK_LOOKUP_ADDRESS_WINDOW_MINUTES", 60),
        altcha_hmac_key=env.get("CASEWORK_ALTCHA_HMAC_KEY") or _persistent_secret("altcha_hmac_key"),
        altcha_max_number=_int("CASEWORK_ALTCHA_MAX_NUMBER", 100_000),
        altcha_expires_minutes=_int("CASEWORK_ALTCHA_EXPIRES_MINUTES", 20),
        filings_per_address=_int("CASEWORK_FILINGS_PER_ADDRESS", 10),
        filings_per_phone=_int("CASEWORK_FILINGS_PER_PHONE", 5),
        filings_per_division=_int("CASEWORK_FILINGS_PER_DIVISION", 200),
        filings_per_app=_int("CASEWORK_FILINGS_PER_APP", 2000),
        filing_window_hours=_int("CASEWORK_FILING_WINDOW_HOURS", 24),
        filing_duplicate_window_hours=_int("CASEWORK_FILING_DUPLICATE_WINDOW_HOURS", 72),
        sms_gateway_url=env.get("CASEWORK_SMS_GATEWAY_URL", ""),
        sms_gateway_token=env.get("CASEWORK_SMS_GATEWAY_TOKEN", ""),
        sms_template_ids=env.get("CASEWORK_SMS_TEMPLATE_IDS", ""),
        sms_per_phone_per_day=_int("CASEWORK_SMS_PER_PHONE_PER_DAY", 10),
        sms_max_attempts=_int("CASEWORK_SMS_MAX_ATTEMPTS", 8),
        sms_timeout_seconds=_float("CASEWORK_SMS_TIMEOUT_SECONDS", 10.0),
        storage_backend=env.get("CASEWORK_STORAGE", "local"),
        files_dir=Path(env["CASEWORK_FILES_DIR"]) if env.get("CASEWORK_FILES_DIR") else None,
        s3_bucket=env.get("CASEWORK_S3_BUCKET", ""),
        s3_endpoint=env.get("CASEWORK_S3_ENDPOINT", ""),
        s3_region=env.get("CASEWORK_S3_REGION", "us-east-1"),
        s3_access_key_id=env.get("CASEWORK_S3_ACCESS_KEY_ID", ""),
        s3_secret_access_key=env.get("CASEWORK_S3_SECRET_ACCESS_KEY", ""),
        s3_prefix=env.get("CASEWORK_S3_PREFIX", ""),
        attachment_max_bytes=_int("CASEWORK_ATTACHMENT_MAX_BYTES", 100 * 1024 * 1024),
        case_files_max_bytes=_int("CASEWORK_CASE_FILES_MAX_BYTES", 1024 * 1024 * 1024),
        upload_body_timeout_seconds=_float("CASEWORK_UPLOAD_BODY_TIMEOUT_SECONDS", 600.0),
        orphan_grace_seconds=_int("CASEWORK_ORPHAN_GRACE_SECONDS", 3600),
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
