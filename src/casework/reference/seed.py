"""Idempotent seeding of reference data from the JSON files in ``data/``.

Rows that already exist are left alone, so an administrator's correction is
never overwritten by a later seed; missing rows are added. Holidays come from
the ``chinese-calendar`` package for every year it carries.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.metadata import version

import structlog

from casework.db import connection, transaction

log = structlog.get_logger(__name__)


def load_data(name: str) -> dict:
    return json.loads(resources.files("casework.reference").joinpath("data", name).read_text("utf-8"))


_PREFIX_LEN = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


async def seed_reference_data() -> dict[str, int]:
    counts: dict[str, int] = {}
    async with transaction():
        async with connection() as conn:
            divisions = load_data("divisions.json")["divisions"]
            await conn.executemany(
                """INSERT INTO division (code, name_zh, name_en, level, parent_code, prefix)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING""",
                [
                    (d["code"], d["name_zh"], d["name_en"], d["level"], d["parent_code"],
                     d["code"][: _PREFIX_LEN[d["level"]]])
                    for d in divisions
                ],
            )
            counts["divisions"] = len(divisions)
            categories = load_data("categories.json")
            await conn.executemany(
                """INSERT INTO category (code, label_zh, label_en, civil, law_related, position, source)
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING""",
                [
                    (c["code"], c["label_zh"], c["label_en"], c["civil"], c["law_related"],
                     c["position"], categories["source"])
                    for c in categories["categories"]
                ],
            )
            counts["categories"] = len(categories["categories"])
            bodies = load_data("bodies.json")["bodies"]
            await conn.executemany(
                """INSERT INTO body (code, name_zh, name_en, kind, division_code, level, remit, superior_code)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING""",
                [
                    (b["code"], b["name_zh"], b["name_en"], b["kind"], b["division_code"],
                     b["level"], b["remit"], b.get("superior_code"))
                    for b in bodies
                ],
            )
            counts["bodies"] = len(bodies)
            rules = load_data("routing_rules.json")["routing_rules"]
            await conn.executemany(
                """INSERT INTO routing_rule (code, position, conditions, track, body_kind,
                                             body_max_level, reason_zh, reason_en, source)
                   VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO NOTHING""",
                [
                    (r["code"], r["position"], json.dumps(r["conditions"]), r["track"],
                     r["body_kind"], r.get("body_max_level"), r["reason_zh"], r["reason_en"], r["source"])
                    for r in rules
                ],
            )
            counts["routing_rules"] = len(rules)
            counts["time_limits_corrected"] = await _seed_time_limits(conn, load_data("time_limits.json"))
            limits = load_data("time_limits.json")["time_limits"]
            counts["time_limits"] = len(limits)
            reasons = load_data("public_reasons.json")["reasons"]
            await conn.executemany(
                """INSERT INTO public_reason (code, position, label_zh, label_en, text_zh, text_en, source)
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING""",
                [(r["code"], r["position"], r["label_zh"], r["label_en"], r["text_zh"], r["text_en"], r["source"])
                 for r in reasons],
            )
            counts["public_reasons"] = len(reasons)
            counts["holidays"] = await _seed_holidays(conn)
    log.info("reference_data_seeded", **counts)
    return counts


# The fields of a time limit the project's data sets (all but the code).
LIMIT_FIELDS = ("track", "step_zh", "step_en", "length", "unit", "start_event", "starts_on", "stops_on", "pausable",
                "extendable", "extension_length", "extension_unit", "extension_approver", "party_window", "source",
                "verify", "note", "whose", "on_lapse", "then_starts", "record")
_CURRENT = "jsonb_build_object(" + ", ".join(f"'{f}', t.{f}" for f in LIMIT_FIELDS) + ")"


async def _seed_time_limits(conn, data: dict) -> list[str]:
    """Insert new limits; bring a row up to the project's data when it still
    holds what the seed last wrote (``seeded``), so a deployed database gets
    the project's corrections and an administrator's own correction is
    kept (logged). Returns the codes changed, for their clocks' recompute."""
    changed: list[str] = []
    for limit in data["time_limits"]:
        values = {f: limit[f] for f in LIMIT_FIELDS}
        row = await conn.fetchrow(
            f"SELECT {_CURRENT} AS current, t.seeded FROM time_limit t WHERE t.code = $1", limit["code"])
        if row is None:
            columns = ", ".join(LIMIT_FIELDS)
            placeholders = ", ".join(f"${i + 2}" for i in range(len(LIMIT_FIELDS)))
            await conn.execute(
                f"INSERT INTO time_limit (code, {columns}, seeded) VALUES ($1, {placeholders}, "
                f"${len(LIMIT_FIELDS) + 2}::jsonb)",
                limit["code"], *values.values(), json.dumps(values, ensure_ascii=False))
            continue
        current, seeded = json.loads(row["current"]), json.loads(row["seeded"]) if row["seeded"] else None
        if current == values:
            if seeded != values:
                await conn.execute("UPDATE time_limit SET seeded = $2::jsonb WHERE code = $1", limit["code"],
                                   json.dumps(values, ensure_ascii=False))
            continue
        if seeded is None or current != seeded:
            log.warning("time_limit_correction_kept", code=limit["code"],
                        fields=sorted(f for f in LIMIT_FIELDS if current.get(f) != values[f]))
            continue
        assignments = ", ".join(f"{f} = ${i + 2}" for i, f in enumerate(LIMIT_FIELDS))
        await conn.execute(
            f"UPDATE time_limit SET {assignments}, seeded = ${len(LIMIT_FIELDS) + 2}::jsonb WHERE code = $1",
            limit["code"], *values.values(), json.dumps(values, ensure_ascii=False))
        changed.append(limit["code"])
    return changed


async def _seed_holidays(conn) -> int:
    from chinese_calendar import constants

    source = f"chinese-calendar {version('chinese-calendar')} (State Council holiday notices)"
    years = sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})
    rows = [(d, "holiday", str(getattr(name, "value", name) or ""), source) for d, name in constants.holidays.items()]
    rows += [(d, "workday", str(getattr(name, "value", name) or ""), source) for d, name in constants.workdays.items()]
    await conn.executemany(
        """INSERT INTO calendar_day (day, kind, name, source) VALUES ($1, $2, $3, $4)
           ON CONFLICT (day) DO NOTHING""",
        rows,
    )
    await conn.executemany(
        "INSERT INTO calendar_year (year, source, complete) VALUES ($1, $2, true) ON CONFLICT (year) DO NOTHING",
        [(y, source) for y in years],
    )
    return len(rows)

