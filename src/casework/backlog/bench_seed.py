"""``casework seed-bench --cases 1000000``: a realistic synthetic city for
the backlog benchmark (bench/backlog_summary.py). Never run by the tests
except at smoke size.

Changzhi's 12 counties get 8 synthetic townships of 15 villages each
(names marked 模拟); cases spread over four years with growth, most of the
older ones closed, recent ones mostly open, a long tail of overdue clocks.
Every applicant has an identity-number and a phone hash (stand-ins for
the keyed hashes; some people come back, so they repeat), as a real
city's would: repeat detection searches them at every intake.
Case rows are generated in Python and loaded with COPY
(``copy_records_to_table``); proceedings, clocks, parties and events are
derived from them in set-based SQL on the server. Row triggers are off
while loading (``session_replication_role = replica``, which needs a
superuser), and the backlog tables are rebuilt once at the end
(``backlog_rebuild()``), as after any bulk load.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from typing import Any

from casework import timeutil

COUNTIES = ["140403", "140404", "140405", "140406", "140423", "140425", "140426", "140427", "140428",
            "140429", "140430", "140431"]
TRACKS = [("people_mediation", 45), ("petition", 25), ("administrative_mediation", 10),
          ("reconsideration", 6), ("legal_aid", 5), ("judicial_mediation", 4), ("litigation", 3), ("triage", 2)]
BODY_KIND = {
    "petition": "petition_bureau", "people_mediation": "people_mediation_committee",
    "administrative_mediation": "administrative_department", "judicial_mediation": "court",
    "reconsideration": "reconsideration_office", "litigation": "court", "legal_aid": "legal_aid_centre",
    "triage": "triage",
}
OPEN_STAGES = {"petition": ["registered", "forwarded", "accepted"], "triage": ["triage"]}
CLOSED = [("concluded", 70), ("closed", 20), ("not_accepted", 7), ("terminated", 3)]
CLOCK = {  # the clock that runs in the open stage (time_limit code, calendar days)
    "petition": ("petition.opinion", 60), "people_mediation": ("people_mediation.target", 30),
    "administrative_mediation": ("administrative_mediation.target", 30),
    "judicial_mediation": ("judicial_mediation.target", 30), "reconsideration": ("reconsideration.decision", 60),
    "litigation": ("litigation.filing_review", 7), "legal_aid": ("legal_aid.decide", 7),
    "triage": ("people_mediation.accept", 5),
}
CHANNELS = ["visit", "letter", "phone", "online", "mobile_app", "station", "grid_worker", "referral", "hotline"]
SUMMARIES = ["宅基地边界纠纷", "拖欠工资", "征地补偿款分配争议", "物业费纠纷", "邻里噪音纠纷", "交通事故赔偿",
             "养老保险待遇核定", "婚姻家庭纠纷", "合同履约争议", "环境污染投诉"]
CASE_COLUMNS = [
    "id", "reference", "county_code", "year", "seq", "kind", "channel", "petition_type", "category_code",
    "summary", "division_code", "received_at", "headcount", "collective", "risk_level", "status", "track",
    "stage", "body_id", "receipt_code_hash", "created_at", "updated_at", "closed_at", "version",
]


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


async def _divisions(conn: Any) -> list[str]:
    rows = []
    for county in COUNTIES:
        name = await conn.fetchval("SELECT name_zh FROM division WHERE code = $1", county + "000000")
        for t in range(1, 9):
            town = f"{county}{100 + t:03d}"
            rows.append((town + "000", f"{name}模拟{t}镇", "", 4, county + "000000", town))
            for v in range(1, 16):
                rows.append((f"{town}{200 + v:03d}", f"模拟{t}镇{v}村", "", 5, town + "000", f"{town}{200 + v:03d}"))
    await conn.executemany(
        """INSERT INTO division (code, name_zh, name_en, level, parent_code, prefix)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING""", rows)
    codes = await conn.fetch("SELECT code, level FROM division WHERE code LIKE '1404%' AND level >= 3")
    return [r["code"] for r in codes]


async def seed_bench(conn: Any, cases: int, *, seed: int = 1, open_only: bool = False,
                     parties: bool = True, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Load ``cases`` synthetic cases; returns timings in seconds.

    ``open_only``: every case still open, with the ages open cases have in
    the city above (drawn from the same curve, kept with the same chance of
    still being open): the deadline sweep's benchmark adds these on top of
    a seeded city until a million clocks are open. Can run more than once
    (references and sequence numbers continue after the existing ones).
    ``parties=False`` leaves out parties and events (the sweep reads
    neither; it saves a third of the load). ``progress`` is told of each
    batch and step as it ends."""
    report = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rng = random.Random(seed)
    divisions = await _divisions(conn)
    villages = [d for d in divisions if not d.endswith("000")]
    towns = [d for d in divisions if d.endswith("000") and not d.endswith("000000")]
    counties = [d for d in divisions if d.endswith("000000")]
    bodies: dict[tuple[str, str], int] = {
        (r["county"], r["kind"]): r["id"] for r in await conn.fetch(
            "SELECT id, kind, left(division_code, 6) AS county FROM body WHERE division_code LIKE '1404%'")}
    categories = [r["code"] for r in await conn.fetch("SELECT code FROM category")]
    first_id = (await conn.fetchval("SELECT coalesce(max(id), 0) FROM case_file")) + 1
    # Continue each county's numbering after what is there (a second load).
    counters: dict[tuple[str, int], int] = {
        (r["county_code"], r["year"]): r["seq"] - 100000 for r in await conn.fetch(
            "SELECT county_code, year, max(seq) AS seq FROM case_file WHERE seq > 100000 GROUP BY 1, 2")}
    now = timeutil.now()
    span_days = 4 * 365
    await conn.execute("SET session_replication_role = replica")

    def rows(start: int, count: int):
        for case_id in range(start, start + count):
            while True:
                # growth: more recent years carry more cases
                age_days = span_days * (1 - rng.random() ** 0.7)
                open_p = 0.85 if age_days < 30 else 0.5 if age_days < 90 else 0.2 if age_days < 180 else 0.02
                if not open_only or rng.random() < open_p:
                    break
            received = now - dt.timedelta(days=age_days, seconds=rng.randrange(86400))
            level = rng.random()
            division = rng.choice(villages if level < 0.8 else towns if level < 0.9 else counties)
            county = division[:6]
            track = _weighted(rng, TRACKS)
            kind = "petition" if track == "petition" else "dispute"
            is_open = open_only or rng.random() < open_p
            status = "open" if is_open else _weighted(rng, CLOSED)
            if is_open:
                stage = rng.choice(OPEN_STAGES.get(track, ["pending_acceptance", "accepted"]))
            else:
                stage = status
            year = timeutil.local_date(received).year
            seq = counters[(county, year)] = counters.get((county, year), 0) + 1
            closed_at = None if is_open else received + dt.timedelta(days=min(age_days, rng.uniform(5, 90)))
            headcount = 1 if rng.random() < 0.93 else rng.randint(2, 30)
            yield (
                case_id, f"{county}-{year}-{seq:06d}-b", county, year, seq + 100000, kind, rng.choice(CHANNELS),
                rng.choice(["suggestion", "accusation", "appeal"]) if kind == "petition" else None,
                rng.choice(categories), rng.choice(SUMMARIES), division, received, headcount, headcount >= 5,
                _weighted(rng, [("low", 70), ("medium", 22), ("high", 7), ("critical", 1)]),
                status, track, stage, bodies.get((county, BODY_KIND[track])), "bench", received,
                closed_at or received, closed_at, 1,
            )

    batch = 100_000
    for start in range(first_id, first_id + cases, batch):
        count = min(batch, first_id + cases - start)
        await conn.copy_records_to_table("case_file", records=list(rows(start, count)), columns=CASE_COLUMNS)
        report(f"cases {start + count - first_id}/{cases} ({time.perf_counter() - started:.0f}s)")
    await conn.execute("SELECT setval('case_file_id_seq', (SELECT max(id) FROM case_file))")
    timings["cases_copy"] = time.perf_counter() - started
    report(f"cases copy done ({timings['cases_copy']:.1f}s)")

    step = time.perf_counter()
    clock_cases = "(VALUES " + ", ".join(f"('{t}', '{c}', {d})" for t, (c, d) in CLOCK.items()) + ")"
    await conn.execute(f"""
        INSERT INTO proceeding (case_id, seq, track, body_id, state, outcome, opened_at, accepted_at, concluded_at,
                                opened_reason)
        SELECT c.id, 1, c.track, c.body_id, c.stage,
               CASE WHEN c.status = 'concluded' THEN
                    CASE WHEN c.track LIKE '%mediation' THEN (ARRAY['agreement','agreement','agreement','failed',
                         'withdrawn'])[1 + (c.id % 5)] WHEN c.kind = 'petition' THEN 'opinion_issued' ELSE 'upheld' END
               END,
               c.received_at, CASE WHEN c.stage IN ('accepted', 'concluded') THEN c.received_at + interval '2 days' END,
               CASE WHEN c.status <> 'open' THEN c.closed_at END, 'bench'
        FROM case_file c WHERE c.id >= {first_id};
        UPDATE case_file c SET current_proceeding_id = p.id FROM proceeding p
        WHERE p.case_id = c.id AND c.id >= {first_id};
        INSERT INTO clock (case_id, proceeding_id, time_limit_code, started_on, due_on, state, stopped_on, met,
                           outcome, breached_on)
        SELECT x.*, CASE WHEN x.met THEN 'met' WHEN x.met IS FALSE THEN 'late' END,
               CASE WHEN x.met IS FALSE THEN x.due_on + 1 END
        FROM (SELECT c.id, c.current_proceeding_id, k.code,
                     (c.received_at AT TIME ZONE 'UTC' + interval '8 hours')::date AS started_on,
                     (c.received_at AT TIME ZONE 'UTC' + interval '8 hours')::date + k.days AS due_on,
                     CASE WHEN c.status = 'open' THEN 'running' ELSE 'stopped' END,
                     CASE WHEN c.status <> 'open' THEN (c.closed_at AT TIME ZONE 'UTC' + interval '8 hours')::date END,
                     CASE WHEN c.status <> 'open' THEN c.closed_at <= c.received_at + make_interval(days => k.days)
                     END AS met
              FROM case_file c JOIN {clock_cases} AS k(track, code, days) ON k.track = c.track
              WHERE c.id >= {first_id}) x;
        UPDATE case_file c SET next_due_on = k.due_on FROM clock k
        WHERE k.case_id = c.id AND k.state = 'running' AND c.id >= {first_id};
    """)
    timings["proceedings_clocks"] = time.perf_counter() - step
    report(f"proceedings clocks done ({timings['proceedings_clocks']:.1f}s)")

    step = time.perf_counter()
    if parties:
        await conn.execute(f"""
            INSERT INTO party (case_id, position, role, kind, name, id_number_masked, id_number_hash, phone_masked,
                               phone_hash)
            SELECT c.id, 1, 'applicant', 'person', (ARRAY['张','王','李','赵','刘','陈','杨','黄'])[1 + c.id % 8] ||
                   (ARRAY['伟','芳','娜','敏','静','强','磊','军'])[1 + (c.id / 8) % 8],
                   '140403********' || lpad((c.id % 10000)::text, 4, '0'), md5('id' || (c.id % 700000)),
                   '138****' || lpad((c.id % 10000)::text, 4, '0'), md5('phone' || (c.id % 700000))
            FROM case_file c WHERE c.id >= {first_id};
            INSERT INTO party (case_id, position, role, kind, name)
            SELECT c.id, 2, 'respondent', CASE WHEN c.kind = 'petition' THEN 'agency' ELSE 'person' END,
                   CASE WHEN c.kind = 'petition' THEN '某县直部门' ELSE '某村民' END
            FROM case_file c WHERE c.id >= {first_id};
            INSERT INTO case_event (case_id, proceeding_id, at, type, data)
            SELECT c.id, c.current_proceeding_id, c.received_at, e.type, '{{}}'::jsonb
            FROM case_file c CROSS JOIN (VALUES ('case_registered'), ('routing_decided'), ('clock_started')) e(type)
            WHERE c.id >= {first_id};
            INSERT INTO case_event (case_id, proceeding_id, at, type, data)
            SELECT c.id, c.current_proceeding_id, c.closed_at, c.status, '{{}}'::jsonb
            FROM case_file c WHERE c.id >= {first_id} AND c.status <> 'open';
            INSERT INTO case_event (case_id, proceeding_id, at, type, data)
            SELECT c.id, c.current_proceeding_id, now(), 'supervised', '{{}}'::jsonb
            FROM case_file c WHERE c.id >= {first_id} AND c.status = 'open' AND c.next_due_on < current_date
              AND c.id % 4 = 0;
            INSERT INTO supervision (case_id, proceeding_id, reason, respond_by)
            SELECT c.id, c.current_proceeding_id, '逾期督办（基准数据）', current_date + 10
            FROM case_file c WHERE c.id >= {first_id} AND c.status = 'open' AND c.next_due_on < current_date
              AND c.id % 4 = 0;
        """)
    timings["parties_events"] = time.perf_counter() - step
    report(f"parties events done ({timings['parties_events']:.1f}s)")

    await conn.execute("SET session_replication_role = origin")
    step = time.perf_counter()
    await conn.execute("SELECT backlog_rebuild()")
    await conn.execute("SELECT backlog_compact($1)", timeutil.today() - dt.timedelta(days=1))
    timings["backlog_rebuild"] = time.perf_counter() - step
    report(f"backlog rebuild done ({timings['backlog_rebuild']:.1f}s)")
    step = time.perf_counter()
    await conn.execute("ANALYZE")
    timings["analyze"] = time.perf_counter() - step
    report(f"analyze done ({timings['analyze']:.1f}s)")
    timings["total"] = time.perf_counter() - started
    return timings
