"""What a database needs before the service uses it: migrations, reference
data, the /admin users, the personal-data key check; and the demo's users
and cases (``casework serve --demo``).

Light at import, as ``casework.cli`` imports it in the supervisor process:
everything it uses is imported inside the function that uses it.
"""

from __future__ import annotations

DEMO_PASSWORD = "casework-demo"
DEMO_USERS = [
    # username, role, jurisdiction, body code
    ("clerk", "clerk", "140403", "140403-ROL"),
    ("clerk_shangdang", "clerk", "140404", "140404-ROL"),
    ("mediator", "mediator", "140403", "140403100201-PMC"),
    ("officer", "officer", "140403", "140403-PB"),
    ("reconsideration", "officer", "140403", "140403-RO"),
    ("supervisor", "supervisor", "140403", "140403-PB"),
    ("bureau", "supervisor", "1404", "CZ-PB"),
    ("admin", "admin", "14", None),
    ("auditor", "auditor", "1404", None),
]


async def with_pool(coro_factory):
    """Run ``coro_factory()`` with a small connection pool open (a command, not the service)."""
    from casework.db import engine

    db = engine()
    await db.start_connection_pool(min_size=1, max_size=4)
    try:
        return await coro_factory()
    finally:
        await db.close_connection_pool()


async def migrate_and_seed() -> None:
    """Apply migrations and seed reference data, one process at a time."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from casework.db import engine
    from casework.reference.seed import seed_reference_data

    db = engine()
    lock = await db.get_new_connection()
    try:
        # Two instances starting together must not both migrate.
        await lock.execute("SELECT pg_advisory_lock(72140400)")
        # "all": casework, plus piccolo_user and sessions for /admin.
        from casework.logging import prints_as_log_lines

        with prints_as_log_lines("piccolo"):  # its banner is printed, not logged
            result = await run_forwards(app_name="all")
        if not result.success:
            raise SystemExit(f"migrations failed: {result.message}")
        counts = await with_pool(seed_reference_data)
        if counts.get("time_limits_corrected"):
            # Limits brought up to the project's data: their clocks follow.
            from casework.cache import invalidate
            from casework.deadlines.recompute import recompute_for_limits

            invalidate()
            await with_pool(lambda: recompute_for_limits(counts["time_limits_corrected"]))
        from casework.admin import sync_admin_users

        await with_pool(sync_admin_users)
        from casework.personal.rotation import stored_data_opens

        if await with_pool(stored_data_opens) is False:
            raise SystemExit(
                "CASEWORK_PERSONAL_DATA_KEY does not open the personal data already in the database: every "
                "instance needs the same key (and, while rotating, the old ones in CASEWORK_PERSONAL_DATA_OLD_KEYS)")
    finally:
        await lock.close()


async def seed_demo() -> int:
    """The demo's users (password ``DEMO_PASSWORD``) and cases; how many cases it made."""
    from casework.access.service import UserError, create_user

    async def run() -> None:
        for username, role, jurisdiction, body in DEMO_USERS:
            try:
                await create_user(username=username, password=DEMO_PASSWORD, role=role,
                                  jurisdiction=jurisdiction, body_code=body, display_name=f"demo {role}")
            except UserError:
                pass  # already there from an earlier start

    await with_pool(run)
    from casework.demo.cases import seed_demo_cases

    return await with_pool(lambda: seed_demo_cases(DEMO_PASSWORD))
