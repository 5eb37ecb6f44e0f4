"""Open311 GeoReport v2 over online filing.

Services are the categories: every category as a petition (group 信访事项),
the civil ones also as a dispute (group 矛盾纠纷调解); the code is
``<kind>.<category>``. A POST files an online application (as
``public.applications`` does, the app's api_key standing for the proof of
work), left awaiting registration. Reads show only requests filed online
or through an app, and of those never an accusation (检举控告, whose
petitioner the law protects); only public-safe fields: the reference, open
or closed, the state's public name, the body, times, and the township.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import msgspec

from casework import timeutil
from casework.access.service import Principal
from casework.admin_log import record_admin_change
from casework.db import connection, transaction
from casework.open311.schemas import (
    AppCreate,
    AppIssued,
    AppList,
    AppRead,
    Attribute,
    AttributeValue,
    Discovery,
    Endpoint,
    RequestCreated,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
)
from casework.personal import crypto
from casework.problems import Problem, not_found
from casework.proceedings.tracks import registry
from casework.public import applications
from casework.public.schemas import ApplicationCreate
from casework.reference import service as reference

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T18:00:00+08:00"
GROUPS = {"petition": "信访事项", "dispute": "矛盾纠纷调解"}
PETITION_TYPES = {"suggestion": "建议意见", "accusation": "检举控告", "appeal": "申诉求决"}
RESPONDENT_KINDS = {"person": "个人", "organization": "单位", "agency": "行政机关"}
MAX_RANGE = dt.timedelta(days=90)
MAX_REQUESTS = 1000


class Open311Failure(Exception):
    """An error in the specification's own format: [{code, description}]."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def discovery(base_url: str) -> Discovery:
    return Discovery(
        changeset=CHANGESET, contact="见 docs/public.md (see docs/public.md)",
        key_service="api_key 由系统管理员签发 (issued by the administrator: POST /api/v1/open311/apps)",
        endpoints=[Endpoint(specification=SPECIFICATION, url=f"{base_url}/open311/v2", changeset=CHANGESET,
                            type="production", formats=["application/json", "text/xml"])])


async def services() -> list[Service]:
    found = []
    for kind in ("petition", "dispute"):
        for code, category in (await reference.categories()).items():
            if kind == "dispute" and not category.get("civil"):
                continue
            found.append(Service(
                service_code=f"{kind}.{code}", service_name=category["label_zh"],
                description=f"{GROUPS[kind]}：{category['label_zh']}（{category['label_en']}）",
                metadata=True, type="batch", keywords=category["label_en"], group=GROUPS[kind]))
    return found


async def _service(code: str) -> tuple[str, str]:
    kind, _, category = code.partition(".")
    categories = await reference.categories()
    civil = bool(categories.get(category, {}).get("civil"))
    if kind not in GROUPS or category not in categories or (kind == "dispute" and not civil):
        raise Open311Failure(404, f"unknown service_code {code!r}")
    return kind, category


def _values(words: dict[str, str]) -> list[AttributeValue]:
    return [AttributeValue(key=k, name=v) for k, v in words.items()]


async def service_definition(code: str) -> ServiceDefinition:
    kind, _ = await _service(code)
    attributes = [
        Attribute(variable=True, code="division_code", datatype="string", required=True,
                  datatype_description="12位行政区划代码 (12-digit division code of the village or community)",
                  order=1, description="事项发生地 (where the matter arose)", values=[]),
        Attribute(variable=True, code="summary", datatype="string", required=True,
                  datatype_description="不超过200字 (at most 200 characters)", order=2,
                  description="事项概要 (a one-line summary)", values=[]),
        Attribute(variable=True, code="respondent_name", datatype="string", required=False,
                  datatype_description="不超过100字", order=4, description="对方名称 (the other side)", values=[]),
        Attribute(variable=True, code="respondent_kind", datatype="singlevaluelist", required=False,
                  datatype_description="", order=5, description="对方类型", values=_values(RESPONDENT_KINDS)),
        Attribute(variable=True, code="sms_consent", datatype="singlevaluelist", required=False,
                  datatype_description="", order=6, description="同意以短信接收办理进度 (SMS notices)",
                  values=_values({"yes": "同意", "no": "不同意"})),
    ]
    if kind == "petition":
        attributes.insert(2, Attribute(
            variable=True, code="petition_type", datatype="singlevaluelist", required=True, datatype_description="",
            order=3, description="信访类型 (kind of petition)", values=_values(PETITION_TYPES)))
    return ServiceDefinition(service_code=code, attributes=attributes)


# ---------------------------------------------------------------- apps

def _key_hash(api_key: str) -> str:
    return crypto.keyed_hash(api_key, purpose="open311_key")


async def app_for_key(api_key: str | None) -> tuple[int, str]:
    """The active app the key belongs to. Keys are kept only as keyed hashes
    of a key nobody else keeps, so, like receipt codes, they verify under
    every configured personal-data key and are re-hashed under the current
    one when next used (docs/personal-data.md, rotate-keys)."""
    if not api_key:
        raise Open311Failure(403, "api_key is required")
    hashes = crypto.keyed_hashes(api_key, purpose="open311_key")
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, name, key_hash FROM open311_app WHERE key_hash = ANY($1::text[]) AND revoked_at IS NULL",
            hashes)
        if row is not None and row["key_hash"] != hashes[0]:
            await conn.execute("UPDATE open311_app SET key_hash = $2 WHERE id = $1", row["id"], hashes[0])
    if row is None:
        raise Open311Failure(403, "invalid api_key")
    return row["id"], row["name"]


_APP_COLUMNS = "id, name, contact, key_prefix, created_at, revoked_at"


async def issue_app(data: AppCreate, *, actor: Principal) -> AppIssued:
    api_key = "o311_" + secrets.token_urlsafe(24)
    async with transaction():
        async with connection() as conn:
            row = dict(await conn.fetchrow(
                f"""INSERT INTO open311_app (name, contact, key_hash, key_prefix, created_by)
                    VALUES ($1, $2, $3, $4, $5) RETURNING {_APP_COLUMNS}""",
                data.name.strip(), data.contact.strip(), _key_hash(api_key), api_key[:9], actor.id))
            await record_admin_change(conn, actor=actor, entity="open311_app", key=str(row["id"]), before=None,
                                      after={k: v for k, v in row.items()})
    return AppIssued(**row, api_key=api_key)


async def list_apps() -> AppList:
    async with connection() as conn:
        rows = await conn.fetch(f"SELECT {_APP_COLUMNS} FROM open311_app ORDER BY id")
    return AppList(items=[AppRead(**dict(r)) for r in rows])


async def revoke_app(app_id: int, *, actor: Principal) -> AppRead:
    async with transaction():
        async with connection() as conn:
            before = await conn.fetchrow(f"SELECT {_APP_COLUMNS} FROM open311_app WHERE id = $1 FOR UPDATE", app_id)
            if before is None:
                raise not_found("app")
            if before["revoked_at"] is not None:
                raise Problem(409, "already-revoked", "Conflict", f"app {app_id} is already revoked")
            row = dict(await conn.fetchrow(
                f"""UPDATE open311_app SET revoked_at = casework_now(), revoked_by = $2 WHERE id = $1
                    RETURNING {_APP_COLUMNS}""", app_id, actor.id))
            await record_admin_change(conn, actor=actor, entity="open311_app", key=str(app_id),
                                      before=dict(before), after=row, action="revoke")
    return AppRead(**row)


# ---------------------------------------------------------------- requests

def _one(form: dict[str, str], name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


async def create_request(form: dict[str, str], address: str) -> RequestCreated:
    app = await app_for_key(_one(form, "api_key"))
    code = _one(form, "service_code")
    if code is None:
        raise Open311Failure(400, "service_code is required")
    kind, category = await _service(code)
    attr = {k[len("attribute["):-1]: v.strip() for k, v in form.items()
            if k.startswith("attribute[") and k.endswith("]")}
    name = " ".join(p for p in (_one(form, "last_name"), _one(form, "first_name")) if p)
    respondent = None
    if attr.get("respondent_name"):
        respondent = {"kind": attr.get("respondent_kind") or "person", "name": attr["respondent_name"]}
    draft: dict[str, Any] = {
        "kind": kind, "category": category, "division_code": attr.get("division_code") or "",
        "summary": attr.get("summary") or (_one(form, "description") or "")[:60],
        "description": _one(form, "description") or "", "applicant": {"name": name, "phone": _one(form, "phone") or ""},
        "respondent": respondent, "petition_type": attr.get("petition_type") or None,
        "sms_consent": attr.get("sms_consent") == "yes",
    }
    required = (("attribute[division_code]", draft["division_code"]), ("description", draft["description"]),
                ("first_name or last_name", name), ("phone", draft["applicant"]["phone"]))
    missing = [f for f, v in required if not v]
    if missing:
        raise Open311Failure(400, "required: " + ", ".join(missing))
    try:
        data = msgspec.convert(draft, ApplicationCreate)
    except msgspec.ValidationError as exc:
        raise Open311Failure(400, str(exc)) from None
    try:
        receipt, _created = await applications.file_application(data, address=address, idempotency_key=None,
                                                                app=app)
    except Problem as problem:
        extra = problem.extra if isinstance(problem.extra, dict) else {}
        errors = extra.get("errors") or []
        described = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or problem.detail
        raise Open311Failure(problem.status_code if problem.status_code != 422 else 400, described) from None
    notice = (f"已收到，{receipt.state_zh}。受理编号 {receipt.reference}，查询码 {receipt.receipt_code}"
              "（只显示这一次，请告知申请人妥善保存）")
    return RequestCreated(service_request_id=receipt.reference, token=receipt.reference, service_notice=notice)


_REQUEST_SQL = """
    SELECT c.reference, c.status, c.kind, c.category_code, k.label_zh AS category_zh, c.received_at, c.updated_at,
           c.next_due_on, p.state, b.name_zh AS body_name_zh, b.kind AS body_kind, b.division_code AS body_division,
           t.name_zh AS township_zh
    FROM case_file c
    JOIN category k ON k.code = c.category_code
    LEFT JOIN proceeding p ON p.id = c.current_proceeding_id
    LEFT JOIN body b ON b.id = p.body_id
    LEFT JOIN division t ON t.code = substr(c.division_code, 1, 9) || '000'
    WHERE c.channel IN ('online', 'mobile_app') AND c.petition_type IS DISTINCT FROM 'accusation'
"""


def _w3c(at: dt.datetime) -> str:
    return at.astimezone(timeutil.CHINA_TZ).isoformat(timespec="seconds")


def _agency(row: Any) -> str | None:
    """The body, but a village's or community's named by its kind in the
    township: its own name would place the matter finer than the township."""
    if row["body_name_zh"] is None:
        return None
    if row["body_division"] and len(row["body_division"]) == 12 and not row["body_division"].endswith("000"):
        kind = registry().body_kinds.get(row["body_kind"])
        return f"{row['township_zh'] or ''}村（居）{kind.label_zh if kind else ''}"
    return row["body_name_zh"]


def _as_request(row: Any) -> ServiceRequest:
    states = registry().states
    state = states.get(row["state"]) if row["state"] else None
    due = row["next_due_on"]
    return ServiceRequest(
        service_request_id=row["reference"], status="open" if row["status"] == "open" else "closed",
        status_notes=state.label_zh if state else "", service_name=row["category_zh"],
        service_code=f"{row['kind']}.{row['category_code']}", description=None,
        agency_responsible=_agency(row), service_notice=None, requested_datetime=_w3c(row["received_at"]),
        updated_datetime=_w3c(row["updated_at"]),
        expected_datetime=(dt.datetime.combine(due, dt.time(23, 59, 59), timeutil.CHINA_TZ).isoformat()
                           if due else None),
        address=row["township_zh"], address_id=None, zipcode=None, lat=None, long=None, media_url=None)


def _moment(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Open311Failure(400, f"{name} must be a W3C datetime, e.g. 2026-11-01T00:00:00+08:00") from None
    return at if at.tzinfo else at.replace(tzinfo=timeutil.CHINA_TZ)


def _codes(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


async def list_requests(params: dict[str, str]) -> list[ServiceRequest]:
    ids = _codes(params.get("service_request_id"))
    async with connection() as conn:
        if ids:  # "this overrides all other arguments"
            rows = await conn.fetch(_REQUEST_SQL + " AND c.reference = ANY($1::text[]) ORDER BY c.received_at DESC",
                                    ids[:MAX_REQUESTS])
            return [_as_request(r) for r in rows]
        end = _moment(params.get("end_date"), "end_date") or timeutil.now()
        try:
            start = _moment(params.get("start_date"), "start_date") or end - MAX_RANGE
        except OverflowError:  # an end_date in year 1: 90 days before it is no date
            raise Open311Failure(400, "end_date is out of range") from None
        if end - start > MAX_RANGE or start > end:
            raise Open311Failure(400, "start_date and end_date may span at most 90 days, start first")
        status = _codes(params.get("status"))
        if status and not set(status) <= {"open", "closed"}:
            raise Open311Failure(400, "status is open or closed")
        rows = await conn.fetch(
            _REQUEST_SQL + """ AND c.received_at >= $1 AND c.received_at <= $2
                 AND ($3::text[] IS NULL OR (c.kind || '.' || c.category_code) = ANY($3::text[]))
                 AND ($4::text[] IS NULL OR (CASE WHEN c.status = 'open' THEN 'open' ELSE 'closed' END) = ANY($4))
               ORDER BY c.received_at DESC LIMIT $5""",
            start, end, _codes(params.get("service_code")), status, MAX_REQUESTS)
    return [_as_request(r) for r in rows]


async def get_request(request_id: str) -> list[ServiceRequest]:
    async with connection() as conn:
        row = await conn.fetchrow(_REQUEST_SQL + " AND c.reference = $1", request_id)
    if row is None:
        raise Open311Failure(404, f"no service request {request_id!r}")
    return [_as_request(row)]


async def token(token_id: str) -> list[TokenAnswer]:
    """Requests are answered with their id at once; the token is that id."""
    found = await get_request(token_id)
    return [TokenAnswer(token=token_id, service_request_id=found[0].service_request_id)]
