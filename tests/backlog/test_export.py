"""The bureau exports the backlog and the case list and opens them in a
spreadsheet: Chinese text intact, thousands of rows, streamed."""

from __future__ import annotations

import csv
import io

import pytest

COUNTY = "140425"  # 平顺县: no other test writes here
ROWS = 3000


@pytest.fixture(scope="module")
async def bulk(users, db):
    """SQL: 3,000 open cases in Pingshun county, half of them overdue, loaded
    directly (the API would take minutes); the triggers count them."""
    await users.make("bl_export_ps", "supervisor", COUNTY, "140425-PB")
    body_id = await db.fetchval("SELECT id FROM body WHERE code = '140425-PMC'")
    await db.execute(
        """
        WITH c AS (
            INSERT INTO case_file (reference, county_code, year, seq, kind, channel, category_code, summary,
                division_code, received_at, headcount, collective, risk_level, status, track, stage, body_id,
                receipt_code_hash)
            SELECT '140425-2026-' || lpad(g::text, 6, '0'), '140425', 2026, g, 'dispute', 'station', 'neighbour',
                   CASE WHEN g % 100 = 0 THEN '=HYPERLINK("http://x")' ELSE '平顺县邻里纠纷，第' || g || '号，含"引号",逗号' END,
                   '140425000000', now() - make_interval(days => g % 200), 1, false, 'low', 'open',
                   'people_mediation', 'accepted', $1, 'x'
            FROM generate_series(1, $2::int) g RETURNING id, seq
        ), p AS (
            INSERT INTO proceeding (case_id, seq, track, body_id, state)
            SELECT id, 1, 'people_mediation', $1, 'accepted' FROM c RETURNING id, case_id
        )
        INSERT INTO clock (case_id, proceeding_id, time_limit_code, started_on, due_on, state)
        SELECT p.case_id, p.id, 'people_mediation.target', (casework_now() AT TIME ZONE 'Asia/Shanghai')::date - 40,
               CASE WHEN c.seq % 2 = 0 THEN (casework_now() AT TIME ZONE 'Asia/Shanghai')::date - 5 ELSE (casework_now() AT TIME ZONE 'Asia/Shanghai')::date + 40 END, 'running'
        FROM p JOIN c ON c.id = p.case_id
        """,
        body_id, ROWS,
    )
    # Every case has its current proceeding, as intake leaves it.
    await db.execute("""UPDATE case_file c SET current_proceeding_id = p.id FROM proceeding p
                        WHERE p.case_id = c.id AND c.county_code = '140425' AND c.current_proceeding_id IS NULL""")
    return users["bl_export_ps"]


def parse(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    text = content.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline="")))


async def test_the_overdue_list_exports_with_chinese_text_and_every_row(bulk):
    response = await bulk.get("/api/v1/backlog/export.csv?list=overdue")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    assert "content-length" not in response.headers  # a stream, length unknown up front
    rows = parse(response.content)
    assert rows[0][:4] == ["案件编号", "类型", "类别", "事由摘要"]
    assert len(rows) - 1 == ROWS // 2
    summary = (await bulk.get("/api/v1/backlog/summary")).json()
    assert summary["totals"]["overdue"] == len(rows) - 1
    first = rows[1]
    assert first[1] == "矛盾纠纷" and first[2] == "邻里纠纷" and first[7] == "人民调解"
    assert any('含"引号",逗号' in r[3] for r in rows[1:])
    formulas = [r[3] for r in rows[1:] if "HYPERLINK" in r[3]]
    assert formulas and all(f.startswith("'=") for f in formulas)


async def test_the_case_list_exports_as_csv(bulk):
    response = await bulk.get("/api/v1/cases/export.csv?status=open")
    assert response.status_code == 200
    rows = parse(response.content)
    assert len(rows) - 1 == ROWS
    assert rows[0][0] == "案件编号" and rows[1][10] == "在办"
    assert rows[1][0] == "140425-2026-003000"  # newest first


async def test_a_clerk_may_not_export(users):
    assert (await users["clerk"].get("/api/v1/cases/export.csv")).status_code == 403
    assert (await users["clerk"].get("/api/v1/backlog/export.csv")).status_code == 403


async def test_the_export_is_produced_in_bounded_chunks_from_a_cursor(bulk):
    """httpx's ASGI transport joins the body, so look at the stream itself."""
    from casework.access.scope import Scope
    from casework.backlog import export, service
    from casework.deadlines.service import holiday_calendar

    today, soon = await service.as_of()
    sizes = [len(chunk) async for chunk in export.backlog_export(
        Scope(COUNTY), "open", today, soon, {}, await holiday_calendar())]
    assert len(sizes) > 5
    assert max(sizes) < 3 * export.CHUNK_CHARS + 4096


async def test_export_filters_the_database_cannot_take_are_refused_before_streaming(users):
    for path in ("/api/v1/cases/export.csv", "/api/v1/backlog/export.csv"):
        nul = await users["supervisor"].get(path, params={"category": "a\x00b"})
        huge = await users["supervisor"].get(path, params={"body_id": str(-385380281814885)})
        for response in (nul, huge):
            assert response.status_code == 422, (path, response.status_code, response.text[:200])
            assert response.headers["content-type"].startswith("application/problem+json")
