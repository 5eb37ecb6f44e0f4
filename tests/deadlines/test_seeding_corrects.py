"""A deployed database gets the project's corrected time limits, and an
administrator's own correction is never overwritten."""

from __future__ import annotations

import copy
import json

from casework.cache import invalidate
from casework.reference.seed import _seed_time_limits, load_data


async def test_a_seeded_limit_follows_the_data_and_an_admins_correction_is_kept(app, db):
    data = load_data("time_limits.json")
    corrected = copy.deepcopy(data)
    by_code = {lim["code"]: lim for lim in corrected["time_limits"]}
    # The project corrects two limits; an administrator has changed one of them.
    by_code["legal_aid.assign"]["length"] = 4
    by_code["legal_aid.objection"]["length"] = 6
    await db.execute("UPDATE time_limit SET note = 'local practice: 8 days' WHERE code = 'legal_aid.objection'")
    try:
        async with db.transaction():
            changed = await _seed_time_limits(db, corrected)
        assert changed == ["legal_aid.assign"]
        assert await db.fetchval("SELECT length FROM time_limit WHERE code = 'legal_aid.assign'") == 4
        assert json.loads(await db.fetchval("SELECT seeded FROM time_limit WHERE code = 'legal_aid.assign'"))[
            "length"] == 4
        kept = await db.fetchrow("SELECT length, note FROM time_limit WHERE code = 'legal_aid.objection'")
        assert (kept["length"], kept["note"]) == (5, "local practice: 8 days")
        # Seeding again changes nothing.
        async with db.transaction():
            assert await _seed_time_limits(db, corrected) == []
    finally:
        async with db.transaction():
            await _seed_time_limits(db, data)
        await db.execute("UPDATE time_limit SET note = $1, seeded = NULL WHERE code = 'legal_aid.objection'",
                         {lim["code"]: lim for lim in data["time_limits"]}["legal_aid.objection"]["note"])
        async with db.transaction():
            await _seed_time_limits(db, data)
        invalidate("time_limits")
