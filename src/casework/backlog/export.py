"""CSV exports, streamed from a server-side cursor.

A city-wide export of hundreds of thousands of rows never sits in memory:
rows are fetched from PostgreSQL in batches through a cursor inside a
read-only REPEATABLE READ transaction (one consistent snapshot) and written
out in chunks of at most about 72 KiB as the client reads them.

Spreadsheets: UTF-8 with a byte-order mark (Excel otherwise reads the
Chinese text as the local ANSI code page), CRLF line ends (RFC 4180), and a
leading apostrophe on any cell that starts with = + - @ so that a summary
typed by a citizen is never run as a formula. No personal identifiers are
exported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from casework import timeutil
from casework.access.scope import Scope
from casework.backlog.labels import KIND_ZH, STAGE_ZH, STATUS_ZH, TRACK_ZH
from casework.backlog.service import due_item, due_list_query
from casework.deadlines.calendar import HolidayCalendar
from casework.reads import read_connection

BOM = "\ufeff"
CHUNK_CHARS = 24 * 1024  # at most ~72 KiB of UTF-8 (3 bytes a Chinese character)
FETCH_ROWS = 2000


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.astimezone(timeutil.CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def stream_csv(
    header: list[str], sql: str, args: Iterable[Any], to_row: Callable[[Any], list[Any]],
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # lineterminator \r\n
    buffer.write(BOM)
    writer.writerow(header)
    async with read_connection() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            async for record in conn.cursor(sql, *args, prefetch=FETCH_ROWS):
                writer.writerow([_cell(v) for v in to_row(record)])
                if buffer.tell() >= CHUNK_CHARS:
                    yield buffer.getvalue().encode("utf-8")
                    buffer.seek(0)
                    buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


BACKLOG_HEADER = [
    "案件编号", "类型", "类别", "事由摘要", "区划代码", "所在区划", "办理机构", "办理轨道", "当前环节",
    "登记时间", "时限事项", "到期日", "逾期天数", "逾期工作日", "剩余工作日", "是否督办",
]


def backlog_export(
    scope: Scope, which: str, today: dt.date, soon: dt.date, filters: dict[str, Any], cal: HolidayCalendar,
) -> AsyncIterator[bytes]:
    sql, args = due_list_query(scope, which, today, soon, filters)

    def to_row(record: Any) -> list[Any]:
        item = due_item(record, cal, today)
        clock = item["clock"] or {}
        return [
            item["reference"], KIND_ZH.get(item["kind"], item["kind"]), item["category_zh"], item["summary"],
            item["division_code"], item["division_name"], item["body_name"], item["track_zh"],
            item["stage_zh"], item["received_at"], clock.get("step_zh"), clock.get("due_on"),
            item["days_overdue"], item["working_days_overdue"], item["working_days_left"], item["supervised"],
        ]

    return stream_csv(BACKLOG_HEADER, sql, args, to_row)


CASES_HEADER = [
    "案件编号", "类型", "类别", "事由摘要", "区划代码", "所在区划", "登记时间", "人数", "群体性", "风险等级",
    "状态", "办理轨道", "当前环节", "办理机构", "下一到期日", "版本",
]

_CASE_FILTERS = (
    ("status", "c.status = ?"), ("track", "c.track = ?"), ("stage", "c.stage = ?"),
    ("category", "c.category_code = ?"), ("kind", "c.kind = ?"), ("risk_level", "c.risk_level = ?"),
    ("body_id", "c.body_id = ?"), ("collective", "c.collective = ?"),
    ("received_from", "c.received_at >= ?"), ("received_to", "c.received_at < ?"),
)


def cases_export(scope: Scope, filters: dict[str, Any]) -> AsyncIterator[bytes]:
    """The case list (same filters as GET /api/v1/cases), newest first."""
    args: list[Any] = []
    clauses = [scope.sql("c", args)]
    for name, sql in _CASE_FILTERS:
        if filters.get(name) is not None:
            args.append(filters[name])
            clauses.append(sql.replace("?", f"${len(args)}"))
    sql = f"""SELECT c.reference, c.kind, cat.label_zh, c.summary, c.division_code, dv.name_zh AS division_name,
                     c.received_at, c.headcount, c.collective, c.risk_level, c.status, c.track, c.stage,
                     bo.name_zh AS body_name, c.next_due_on, c.version
              FROM case_file c
              LEFT JOIN category cat ON cat.code = c.category_code
              LEFT JOIN division dv ON dv.code = c.division_code
              LEFT JOIN body bo ON bo.id = c.body_id
              WHERE {' AND '.join(clauses)} ORDER BY c.id DESC"""
    risk = {"low": "低", "medium": "中", "high": "高", "critical": "重大"}

    def to_row(r: Any) -> list[Any]:
        return [
            r["reference"], KIND_ZH.get(r["kind"], r["kind"]), r["label_zh"], r["summary"], r["division_code"],
            r["division_name"], r["received_at"], r["headcount"], r["collective"],
            risk.get(r["risk_level"], r["risk_level"]), STATUS_ZH.get(r["status"], r["status"]),
            TRACK_ZH.get(r["track"], r["track"]), STAGE_ZH.get(r["stage"], r["stage"]), r["body_name"],
            r["next_due_on"], r["version"],
        ]

    return stream_csv(CASES_HEADER, sql, args, to_row)
