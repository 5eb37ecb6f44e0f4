"""A hand-built backlog in Xiangyuan county (襄垣县 140423) whose right
answers are written down below.

Cases are registered through the real API; states the API cannot produce
yet (concluded mediations, overdue clocks) are then set with
SQL -- marked "SQL:" -- as the proceedings actions will once they exist.
No other test writes to 140423, so every figure here is exact.

| case | where | received | state | earliest clock | expected |
|---|---|---|---|---|---|
| A | village 140423100201 | 5 days ago | open, people_mediation | today - 10 | overdue 10 days |
| B | village 140423100202 | 20 days ago | open, people_mediation | today | due soon |
| C | village 140423100201 | 45 days ago | open, petition (registered) | today + 30 | neither |
| F | county 140423000000 | 75 days ago | open, clock stopped (SQL) | none | neither |
| G | village 140423100201 | 120 days ago | open, supervised (action) | today - 3 | overdue 3 days, supervised |
| H | village 140423100202 | 2 days ago | open petition repeating C | today + 30 | neither |
| D | village 140423100202 | 30 days ago | concluded, agreement, clock met (SQL) | - | closed |
| E | village 140423100201 | 30 days ago | concluded, failed, clock missed (SQL) | - | closed |
"""

from __future__ import annotations

import datetime as dt

from casework import timeutil
from tests.support import dispute, person, petition

COUNTY = "140423"
TOWN = "140423100"
VILLAGE_1 = "140423100201"
VILLAGE_2 = "140423100202"


def days_ago(n: int) -> str:
    return (timeutil.now() - dt.timedelta(days=n)).isoformat()


async def build(users, db) -> dict:
    clerk = await users.make("bl_clerk_xy", "clerk", COUNTY, "140423-ROL")
    await users.make("bl_supervisor_xy", "supervisor", COUNTY, "140423-PB")
    await users.make("bl_village_xy", "supervisor", VILLAGE_2, None)
    await users.make("bl_supervisor_sd", "supervisor", "140404", "140404-PB")
    today = timeutil.today()

    async def register(draft: dict) -> dict:
        response = await clerk.post("/api/v1/cases", json=draft)
        assert response.status_code == 201, response.text
        return response.json()

    petitioner = person("applicant")
    bureau = {"role": "respondent", "kind": "agency", "name": "襄垣县社会保险中心"}
    cases = {
        "A": await register(dispute(division_code=VILLAGE_1, summary="邻里排水纠纷甲", received_at=days_ago(5))),
        "B": await register(dispute(division_code=VILLAGE_2, summary="邻里排水纠纷乙", received_at=days_ago(20))),
        "C": await register(petition(division_code=VILLAGE_1, summary="养老金核定异议", received_at=days_ago(45),
                                     parties=[petitioner, bureau])),
        "F": await register(dispute(division_code="140423000000", summary="县级纠纷", received_at=days_ago(75))),
        "G": await register(dispute(division_code=VILLAGE_1, summary="督办中的纠纷", received_at=days_ago(120))),
        "H": await register(petition(division_code=VILLAGE_2, summary="养老金核定异议（再次）",
                                     received_at=days_ago(2), parties=[petitioner, bureau])),
        "D": await register(dispute(division_code=VILLAGE_2, summary="已调解成功", received_at=days_ago(30))),
        "E": await register(dispute(division_code=VILLAGE_1, summary="调解未成功", received_at=days_ago(30))),
    }
    ids = {name: case["id"] for name, case in cases.items()}

    async def due(name: str, due_on: dt.date) -> None:
        # SQL: move the case's running clock to a chosen due date.
        await db.execute("UPDATE clock SET due_on = $2 WHERE case_id = $1 AND state <> 'stopped'", ids[name], due_on)

    await due("A", today - dt.timedelta(days=10))
    await due("B", today)
    await due("C", today + dt.timedelta(days=30))
    await due("G", today - dt.timedelta(days=3))
    await due("H", today + dt.timedelta(days=30))
    # SQL: F's clock stopped (e.g. accepted and the acceptance clock answered).
    await db.execute("UPDATE clock SET state = 'stopped', stopped_on = $2, met = true, outcome = 'met' WHERE case_id = $1",
                     ids["F"], today)
    # G is pressed by the county petition bureau (督办): an open supervision item.
    supervisor = users["bl_supervisor_xy"]
    etag = (await supervisor.get(f"/api/v1/cases/{cases['G']['reference']}")).headers["etag"]
    pressed = await supervisor.post(f"/api/v1/cases/{cases['G']['reference']}/actions/supervise",
                                    json={"reason": "逾期未办结"}, headers={"If-Match": etag})
    assert pressed.status_code == 200, pressed.text
    # SQL: D and E concluded (mediation agreement on time / failure after its deadline).
    concluded = timeutil.now() - dt.timedelta(hours=1)
    for name, outcome, opened_days, met in (("D", "agreement", 10, True), ("E", "failed", 20, False)):
        async with db.transaction():
            await db.execute(
                """UPDATE proceeding SET state = 'concluded', outcome = $2, concluded_at = $3::timestamptz,
                          opened_at = $3::timestamptz - make_interval(days => $4),
                          accepted_at = $3::timestamptz - make_interval(days => $4)
                   WHERE case_id = $1""",
                ids[name], outcome, concluded, opened_days,
            )
            await db.execute("UPDATE clock SET state = 'stopped', stopped_on = $2, met = $3, "
                             "outcome = CASE WHEN $3 THEN 'met' ELSE 'late' END WHERE case_id = $1",
                             ids[name], today, met)
            await db.execute(
                """UPDATE case_file SET status = 'concluded', stage = 'concluded', version = version + 1,
                          updated_at = now() WHERE id = $1""",
                ids[name],
            )
    # SQL: ratings of D and E. The feedback table comes with the public
    # feedback work (migration 05:20 on main); the same shape is made here
    # when this branch runs without it.
    await db.execute(
        """CREATE TABLE IF NOT EXISTS feedback (
               id bigserial PRIMARY KEY, case_id bigint NOT NULL REFERENCES case_file(id),
               proceeding_id bigint NOT NULL REFERENCES proceeding(id),
               rating text NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
               comment text, created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (proceeding_id))"""
    )
    for name, rating in (("D", "satisfied"), ("E", "dissatisfied")):
        await db.execute(
            """INSERT INTO feedback (case_id, proceeding_id, rating)
               SELECT case_id, id, $2 FROM proceeding WHERE case_id = $1""", ids[name], rating)
    return {"cases": cases, "ids": ids, "today": today}
