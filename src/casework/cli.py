"""The ``casework`` command: serve, migrate, users, sweep, sweep-files, dispatch, rotate-keys, access-matrix.

With no ``CASEWORK_DATABASE_URL`` every command first starts the embedded
PostgreSQL (see ``casework.db``), so ``casework serve --demo`` works on a
machine with Python and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

os.environ.setdefault("PICCOLO_CONF", "casework.piccolo_conf")

# Light at import (the supervisor imports this module): its own imports are inside its functions.
from casework.bootstrap import DEMO_PASSWORD, DEMO_USERS, migrate_and_seed, seed_demo, with_pool


def _prepare(demo: bool) -> None:
    """Migrations, reference data and the demo seed (serve's child process)."""
    _configure_logging()  # a spawned process starts unconfigured
    asyncio.run(migrate_and_seed())
    if demo:
        made = asyncio.run(seed_demo())
        if made:
            say(f"{made} demo cases created")
        say(f"demo users (password {DEMO_PASSWORD}): " + ", ".join(u[0] for u in DEMO_USERS))


def cmd_serve(args: argparse.Namespace) -> None:
    import multiprocessing

    import uvicorn

    from casework.embedded import ensure_database_url, stop_embedded_server
    from casework.serving import uvicorn_options
    from casework.settings import get_settings

    if args.demo and os.environ.get("CASEWORK_DATABASE_URL") and not args.force:
        # Demo users share one published password: on a real database that is
        # an open door, and the demo cases would sit among real ones.
        raise SystemExit(
            "error: serve --demo makes users whose password is published (casework-demo) and demo cases; "
            "it runs on the embedded database only, and CASEWORK_DATABASE_URL names another one. "
            "Unset CASEWORK_DATABASE_URL, or add --force if that database is a throwaway.")
    if args.log_format:
        # The environment, so uvicorn's worker processes read the same.
        os.environ["CASEWORK_LOG_JSON"] = "1" if args.log_format == "json" else "0"
        get_settings.cache_clear()
    ensure_database_url()
    # Migrations and seeds run in a child process: they import Piccolo's
    # migration machinery, every table and piccolo_admin (FastAPI), and the
    # process that stays (uvicorn's supervisor when there are workers) kept
    # that memory for its whole life: 69 of the 315 MB the benchmark measured.
    # The child inherits the database URL (the embedded server's too).
    child = multiprocessing.get_context("spawn").Process(target=_prepare, args=(args.demo,), name="casework-migrate")
    child.start()
    child.join()
    if child.exitcode != 0:
        stop_embedded_server()
        raise SystemExit(child.exitcode or 1)
    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    say(f"casework serving on http://{host}:{port} (API docs at /schema)", host=host, port=port)
    # uvicorn shuts down on SIGTERM, restores the previous handler and raises
    # the signal again; with the default handler the process would die there
    # and never stop the embedded PostgreSQL. Exiting through SystemExit runs
    # the finally block (and atexit) instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(
            "casework.app:create_app", factory=True, host=host, port=port, workers=workers,
            **uvicorn_options(settings, forwarded_allow_ips=args.forwarded_allow_ips),
        )
    finally:
        stop_embedded_server()


def cmd_migrate(_args: argparse.Namespace) -> None:
    from casework.embedded import ensure_database_url

    ensure_database_url()
    asyncio.run(migrate_and_seed())
    say("migrations applied, reference data seeded")


def cmd_users_create(args: argparse.Namespace) -> None:
    from casework.access.service import UserError, create_user
    from casework.embedded import ensure_database_url

    if args.password is not None:
        raise SystemExit(
            "error: --password is no longer taken: a command line is visible to every user of the machine "
            "(ps) and kept in shell history. Leave it out and type the password at the prompt, or pipe it "
            "on standard input: printf '%s\\n' \"$PASSWORD\" | casework users create --username ...")
    password = _read_password(f"password for {args.username}: ")
    if not password:
        raise SystemExit("error: no password given (an empty line on standard input)")
    ensure_database_url()

    async def run() -> int:
        return await create_user(username=args.username, password=password, role=args.role,
                                 jurisdiction=args.jurisdiction, body_code=args.body,
                                 display_name=args.display_name or "")

    try:
        user_id = asyncio.run(with_pool(run))
    except UserError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"user {args.username} created (id {user_id})")


def _read_password(prompt: str) -> str:
    """From the terminal without echo, or one line from standard input (never argv:
    a command line is visible to every user of the machine and kept in shell history)."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("again: ") != first:
            raise SystemExit("error: the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_users_set_password(args: argparse.Namespace) -> None:
    """Set a user's password on the server (audited; the user's tokens end)."""
    from casework.access.service import UserError, set_password
    from casework.admin_log import act_as
    from casework.db import connection, transaction
    from casework.embedded import ensure_database_url

    ensure_database_url()
    password = _read_password(f"new password for {args.username}: ")

    async def run() -> None:
        async with transaction():
            async with connection() as conn:
                user_id = await conn.fetchval("SELECT id FROM app_user WHERE username = $1", args.username)
                if user_id is None:
                    raise UserError(f"no user {args.username}")
                await set_password(conn, user_id, password)
                await act_as(conn, None, role="cli")  # recorded by the app_user trigger as action "password"

    try:
        asyncio.run(with_pool(run))
    except UserError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"password of {args.username} changed; their tokens no longer work")


def cmd_sweep(_args: argparse.Namespace) -> None:
    import json

    import msgspec

    from casework.deadlines.sweep import sweep_and_upkeep
    from casework.embedded import ensure_database_url

    ensure_database_url()
    result = msgspec.to_builtins(asyncio.run(with_pool(sweep_and_upkeep)))
    print(json.dumps(result, ensure_ascii=False, indent=1))


def cmd_sweep_files(args: argparse.Namespace) -> None:
    """Remove objects whose upload never committed; list objects no row names (docs/documents.md)."""
    import json

    from casework.documents.sweep import stray_objects, sweep_orphans
    from casework.embedded import ensure_database_url

    ensure_database_url()

    async def run() -> dict:
        report = await sweep_orphans(args.grace_seconds)
        return {"removed": report.removed, "stray": await stray_objects() if args.list_strays else None}

    print(json.dumps(asyncio.run(with_pool(run)), ensure_ascii=False, indent=1))


def cmd_dispatch(args: argparse.Namespace) -> None:
    """Deliver outbox events to webhook subscribers (what `serve` does in the background)."""
    import signal

    from casework.embedded import ensure_database_url
    from casework.webhooks import dispatcher

    ensure_database_url()

    async def run() -> None:
        if args.once:
            counts = await dispatcher.dispatch_once()
            print(" ".join(f"{k}={v}" for k, v in counts.items()))
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await dispatcher.run(stop)

    asyncio.run(with_pool(run))


def cmd_rotate_keys(_args: argparse.Namespace) -> None:
    from casework.embedded import ensure_database_url
    from casework.personal.rotation import rotate_keys
    from casework.settings import get_settings

    ensure_database_url()
    if not get_settings().personal_data_old_keys:
        print("note: CASEWORK_PERSONAL_DATA_OLD_KEYS is empty; re-encrypting under the current key only")
    report = asyncio.run(with_pool(rotate_keys))
    print(f"re-encrypted and re-hashed {report.parties} parties, {report.idempotency_records} idempotency records")
    if report.unreadable:
        raise SystemExit(f"error: no configured key opens {len(report.unreadable)} rows: "
                         + ", ".join(report.unreadable[:20]))


def cmd_access_matrix(_args: argparse.Namespace) -> None:
    from casework.access.matrix import role_table_markdown, route_table_markdown
    from casework.app import create_app

    print(role_table_markdown())
    print()
    print(route_table_markdown(create_app()))


def cmd_seed_bench(args: argparse.Namespace) -> None:
    from casework.backlog.bench_seed import seed_bench
    from casework.db import engine
    from casework.embedded import ensure_database_url

    ensure_database_url()
    asyncio.run(migrate_and_seed())

    def progress(message: str) -> None:
        # stderr: the last line of stdout is the summary scripts read (bench/).
        print(f"seed-bench: {message}", file=sys.stderr, flush=True)

    async def run() -> dict[str, float]:
        conn = await engine().get_new_connection()
        try:
            held = await conn.fetchval("SELECT count(*) FROM case_file")
            if held and not args.force:
                raise SystemExit(
                    f"error: this database already holds {held} cases; seed-bench loads synthetic cases "
                    "among them and switches triggers off while it does. Use an empty database, or "
                    "--force to add to a bench database (as --open-only does after a first load).")
            return await seed_bench(conn, args.cases, seed=args.seed, open_only=args.open_only,
                                    parties=not args.no_parties, progress=progress)
        finally:
            await conn.close()

    timings = asyncio.run(run())
    print(f"seeded {args.cases} cases: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()), flush=True)


def _configure_logging() -> None:
    from casework.logging import configure_logging
    from casework.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)


def say(message: str, **fields: object) -> None:
    from casework.logging import say as report

    report(message, **fields)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="casework", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service (embedded PostgreSQL if none configured)")
    serve.add_argument("--demo", action="store_true", help="also create one demo user per role")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--forwarded-allow-ips", metavar="ADDRESSES",
                       help="the reverse proxies (addresses or networks, comma-separated) whose "
                            "X-Forwarded-For is believed; default CASEWORK_FORWARDED_ALLOW_IPS, else none")
    serve.add_argument("--log-format", choices=["json", "console"],
                       help="one JSON object per line, or coloured lines for a terminal; "
                            "default CASEWORK_LOG_JSON (json)")
    serve.add_argument("--force", action="store_true",
                       help="with --demo: seed demo users and cases into CASEWORK_DATABASE_URL too")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply migrations and seed reference data")
    migrate.set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="manage users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create a user")
    create.add_argument("--username", required=True)
    # Refused with a reason (cmd_users_create): the password comes from a prompt or stdin.
    create.add_argument("--password", help=argparse.SUPPRESS)
    create.add_argument("--role", required=True)
    create.add_argument("--jurisdiction", required=True, help="division-code prefix, e.g. 140403")
    create.add_argument("--body", help="body code, e.g. 140403-PB")
    create.add_argument("--display-name")
    create.set_defaults(func=cmd_users_create)
    set_pw = users_sub.add_parser("set-password", help="set a user's password (read from a prompt or stdin)")
    set_pw.add_argument("--username", required=True)
    set_pw.set_defaults(func=cmd_users_set_password)

    sweep = sub.add_parser("sweep", help="mark clocks due soon and breached once, open supervision items")
    sweep.set_defaults(func=cmd_sweep)

    sweep_files = sub.add_parser("sweep-files", help="remove stored files whose upload never committed")
    sweep_files.add_argument("--grace-seconds", type=int, default=None,
                             help="only uploads older than this (default CASEWORK_ORPHAN_GRACE_SECONDS)")
    sweep_files.add_argument("--list-strays", action="store_true",
                             help="also list objects in the store that no row names (reported, not removed)")
    sweep_files.set_defaults(func=cmd_sweep_files)

    dispatch = sub.add_parser("dispatch", help="deliver webhook events (a loop; --once for one round)")
    dispatch.add_argument("--once", action="store_true", help="one round, then exit")
    dispatch.set_defaults(func=cmd_dispatch)

    rotate = sub.add_parser("rotate-keys", help="re-encrypt and re-hash personal data under the current key")
    rotate.set_defaults(func=cmd_rotate_keys)

    access_matrix = sub.add_parser("access-matrix", help="print the role and route tables of docs/access.md")
    access_matrix.set_defaults(func=cmd_access_matrix)

    bench = sub.add_parser("seed-bench", help="load synthetic cases for the backlog benchmark (not for production)")
    bench.add_argument("--cases", type=int, default=1_000_000)
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--open-only", action="store_true",
                       help="every case open (the sweep benchmark's extra open clocks); can follow a first load")
    bench.add_argument("--no-parties", action="store_true", help="leave out parties and events")
    bench.add_argument("--force", action="store_true", help="load although the database already holds cases")
    bench.set_defaults(func=cmd_seed_bench)

    args = parser.parse_args(argv)
    _configure_logging()
    args.func(args)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
