"""A handful of demo cases for `casework serve --demo`, made through the
same services the API uses (so they carry events, clocks and routing)."""

from __future__ import annotations

import msgspec
from stdnum.cn import ric

from casework.access.service import authenticate
from casework.cases import core, intake, read
from casework.cases.schemas import CaseCreate
from casework.db import connection
from casework.proceedings import service as proceedings


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
     [("accept", {}), ("record_session", {"held_on": None, "location": "关村村委会"})]),
    ({"kind": "dispute", "channel": "grid_worker", "category": "rural_land_acquisition", "summary": "征地补偿款分配争议",
      "division_code": "140403100202", "headcount": 6,
      "parties": [_person("applicant", f"王{n}", 20 + i) for i, n in enumerate("一二三四五六")]
      + [{"role": "respondent", "kind": "organization", "name": "长治某置业有限公司"}]}, []),
    ({"kind": "petition", "petition_type": "appeal", "channel": "visit", "category": "social_security",
      "summary": "养老保险待遇核定有误", "division_code": "140403001001",
      "parties": [_person("applicant", "赵桂兰", 31, "13812340031"),
                  {"role": "respondent", "kind": "agency", "name": "潞州区社会保险中心"}]},
     [("assign", {"body_code": "140403-PB"}), ("accept", {})]),
    ({"kind": "dispute", "channel": "hotline", "category": "labour_wage", "summary": "工地拖欠工资",
      "division_code": "140403001002", "headcount": 3,
      "parties": [_person("applicant", "孙师傅", 41), _person("applicant", "周师傅", 42),
                  {"role": "respondent", "kind": "organization", "name": "某建筑劳务公司"}]}, []),
    ({"kind": "petition", "petition_type": "suggestion", "channel": "online", "category": "urban_management",
      "summary": "建议增设夜市摊位管理", "division_code": "140403001001",
      "parties": [_person("applicant", "吴敏", 51)]}, []),
    ({"kind": "dispute", "channel": "station", "category": "contract", "summary": "农资买卖合同纠纷",
      "division_code": "140404100201",
      "parties": [{"role": "applicant", "kind": "person", "name": "郑农户", "id_number": _id("140404", "19800505", 61)},
                  {"role": "respondent", "kind": "organization", "name": "上党区某农资店"}]}, []),
]


async def seed_demo_cases(password: str) -> int:
    async with connection() as conn:
        if await conn.fetchval("SELECT count(*) FROM case_file") > 0:
            return 0
    clerk = await authenticate("clerk", password)
    other = await authenticate("clerk_shangdang", password)
    staff = {"accept": "mediator", "record_session": "mediator", "assign": "officer"}
    made = 0
    for draft, actions in DEMO_CASES:
        actor = clerk if draft["division_code"].startswith("140403") else other
        body, _ = await intake.intake(msgspec.convert(draft, CaseCreate), actor=actor, idempotency_key=None)
        made += 1
        for action, payload in actions:
            who = staff[action]
            if draft["kind"] == "petition" and action == "accept":
                who = "officer"
            user = await authenticate(who, password)
            detail = await read.get_case(body.reference, user)
            if action == "record_session":
                payload = {**payload, "held_on": str(detail.received_at.date())}
            await proceedings.perform(
                body.reference, action, proceedings.decode_body(action, msgspec.json.encode(payload)), actor=user,
                if_match=core.etag(detail.id, detail.version), render=read.case_detail,
            )
    return made
