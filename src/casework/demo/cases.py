"""A handful of demo cases for `casework serve --demo`, made through the
same services the API uses (so they carry events, clocks and routing).

Some are received in the past, so that on the day the demo starts their
clocks are due soon or already breached and the dashboard, the queues and
the due lists show something. The day each is received is found with the
deadline engine itself: the case is first registered in a transaction that
is rolled back, to learn which clock intake starts for it; then the latest
day from which that clock (``due_of``, with the holiday calendar) falls
due inside the wanted window is taken, and the case is registered on that
day with the clock seam (``timeutil.travel_to``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec
from stdnum.cn import ric

from casework import timeutil
from casework.access.service import Principal, authenticate
from casework.cases import core, intake, read
from casework.cases.schemas import CaseCreate
from casework.db import connection, transaction
from casework.deadlines.marks import LAPSES, nth_working_day
from casework.deadlines.service import due_of, holiday_calendar, time_limits
from casework.proceedings import service as proceedings
from casework.settings import get_settings

# When a demo case is received, relative to the day the demo starts: today,
# or so that its first clock is due within the due-soon window, or breached
# a few working days ago.
When = Literal["today", "due_soon", "overdue"]


def _id(region: str, birth: str, seq: int) -> str:
    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _person(role: str, name: str, seq: int, phone: str | None = None) -> dict:
    return {"role": role, "kind": "person", "name": name, "id_number": _id("140403", "19700101", seq),
            **({"phone": phone} if phone else {})}


DEMO_CASES = [
    ({"kind": "dispute", "channel": "station", "category": "neighbour", "summary": "宅基地排水纠纷",
      "division_code": "140403100201",
      "parties": [_person("applicant", "张建国", 11, "13812340001"), _person("respondent", "李卫东", 12)]},
     [("accept", {}), ("record_session", {"held_on": None, "location": "关村村委会"})], "today"),
    ({"kind": "dispute", "channel": "grid_worker", "category": "rural_land_acquisition", "summary": "征地补偿款分配争议",
      "division_code": "140403100202", "headcount": 6,
      "parties": [_person("applicant", f"王{n}", 20 + i) for i, n in enumerate("一二三四五六")]
      + [{"role": "respondent", "kind": "organization", "name": "长治某置业有限公司"}]}, [], "overdue"),
    ({"kind": "petition", "petition_type": "appeal", "channel": "visit", "category": "social_security",
      "summary": "养老保险待遇核定有误", "division_code": "140403001001",
      "parties": [_person("applicant", "赵桂兰", 31, "13812340031"),
                  {"role": "respondent", "kind": "agency", "name": "潞州区社会保险中心"}]},
     [("assign", {"body_code": "140403-PB"}), ("accept", {})], "today"),
    ({"kind": "dispute", "channel": "hotline", "category": "labour_wage", "summary": "工地拖欠工资",
      "division_code": "140403001002", "headcount": 3,
      "parties": [_person("applicant", "孙师傅", 41), _person("applicant", "周师傅", 42),
                  {"role": "respondent", "kind": "organization", "name": "某建筑劳务公司"}]}, [], "due_soon"),
    ({"kind": "petition", "petition_type": "suggestion", "channel": "online", "category": "urban_management",
      "summary": "建议增设夜市摊位管理", "division_code": "140403001001",
      "parties": [_person("applicant", "吴敏", 51)]}, [], "due_soon"),
    ({"kind": "dispute", "channel": "station", "category": "contract", "summary": "农资买卖合同纠纷",
      "division_code": "140404100201",
      "parties": [{"role": "applicant", "kind": "person", "name": "郑农户", "id_number": _id("140404", "19800505", 61)},
                  {"role": "respondent", "kind": "organization", "name": "上党区某农资店"}]}, [], "overdue"),
    ({"kind": "dispute", "channel": "station", "category": "neighbour", "summary": "院墙滴水檐纠纷",
      "division_code": "140403100201",
      "parties": [_person("applicant", "陈秀英", 71, "13812340071"), _person("respondent", "刘长顺", 72)]},
     [], "overdue"),
    ({"kind": "dispute", "channel": "grid_worker", "category": "labour_wage", "summary": "保洁员工资结算争议",
      "division_code": "140403100202",
      "parties": [_person("applicant", "黄丽", 81), {"role": "respondent", "kind": "organization",
                                                   "name": "某物业服务公司"}]}, [], "due_soon"),
]


class _RolledBack(Exception):
    def __init__(self, created: Any) -> None:
        self.created = created


async def _first_body_clock(case: CaseCreate, actor: Principal) -> Any:
    """The body's first clock intake would start for ``case`` today (registered, then rolled back)."""
    try:
        async with transaction():
            created, _ = await intake.intake(case, actor=actor, idempotency_key=None)
            raise _RolledBack(created)
    except _RolledBack as probe:
        clocks = [c for c in probe.created.proceeding.clocks if c.whose == "body"]
    return min(clocks, key=lambda c: c.due_on) if clocks else None


def _working_days_back(cal: Any, today: dt.date, n: int) -> dt.date:
    day, left = today, n
    while left > 0:
        day -= dt.timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
    return day


async def received_on_for(case: CaseCreate, actor: Principal, when: When, today: dt.date) -> dt.date:
    """The latest day to receive ``case`` on so its first clock comes out ``when`` on ``today``."""
    if when == "today":
        return today
    clock = await _first_body_clock(case, actor)
    if clock is None:
        return today
    limit = (await time_limits())[clock.time_limit]
    if when == "overdue" and limit.on_lapse in LAPSES:
        when = "due_soon"  # the sweep would settle such a lapse at once (deemed accepted, closed...)
    cal = await holiday_calendar()
    if when == "due_soon":
        low, high = today, nth_working_day(cal, today, max(1, get_settings().due_soon_working_days - 1))
    else:  # breached three to six working days ago
        low, high = _working_days_back(cal, today, 6), _working_days_back(cal, today, 3)
    day = today
    for _ in range(3 * 366):
        due = due_of(cal, limit, day).due_on
        if low <= due <= high:
            return day
        day -= dt.timedelta(days=1)
    return today  # no day gives that due date (a limit longer than three years): received today


async def seed_demo_cases(password: str) -> int:
    async with connection() as conn:
        if await conn.fetchval("SELECT count(*) FROM case_file") > 0:
            return 0
    clerk = await authenticate("clerk", password)
    other = await authenticate("clerk_shangdang", password)
    staff = {"accept": "mediator", "record_session": "mediator", "assign": "officer"}
    today = timeutil.today()
    made = 0
    for draft, actions, when in DEMO_CASES:
        actor = clerk if draft["division_code"].startswith("140403") else other
        case = msgspec.convert(draft, CaseCreate)
        received_on = await received_on_for(case, actor, when, today)
        if received_on == today:
            body, _ = await intake.intake(case, actor=actor, idempotency_key=None)
        else:
            # Mid-morning in Beijing on that day; the service's clock moves for this intake only.
            with timeutil.travel_to(dt.datetime.combine(received_on, dt.time(10, 0), timeutil.CHINA_TZ)):
                body, _ = await intake.intake(case, actor=actor, idempotency_key=None)
        made += 1
        for action, payload in actions:
            who = staff[action]
            if draft["kind"] == "petition" and action == "accept":
                who = "officer"
            user = await authenticate(who, password)
            detail = await read.get_case(body.reference, user)
            if action == "record_session":
                # The Beijing day it was received: received_at is UTC, a day behind before 08:00.
                payload = {**payload, "held_on": str(timeutil.local_date(detail.received_at))}
            await proceedings.perform(
                body.reference, action, proceedings.decode_body(action, msgspec.json.encode(payload)), actor=user,
                if_match=core.etag(detail.id, detail.version), render=read.case_detail,
            )
    return made
