"""A city petition bureau chief's morning on the dashboard, in a real
browser: sign in, read who is falling behind, change the period, drill into
the worst county and one of its townships, open the county's overdue list
and a case in it, open a supervision item (督办) on it, find it in the
overdue list, read the handler's answer and close the item, look at it on
a phone, sign out. Every number on each screen is checked against the API.

Headless Chromium (Debian's /usr/bin/chromium, driven through
/usr/bin/chromedriver by selenium) against the service on a real uvicorn
server on a free loopback port. Screenshots of each step go to artifacts/.
The cases are made in the past with ``tests.support.on`` (the in-process
service's clock), so their clocks are really late today.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from casework import timeutil
from tests.conftest import ARTIFACTS
from tests.support import act, dispute, on

pytestmark = pytest.mark.heavy

By = pytest.importorskip("selenium.webdriver.common.by", reason="selenium is in the [test] extra").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait
TimeoutException = pytest.importorskip("selenium.common.exceptions").TimeoutException

PASSWORD = "dashboard-test-pw"
ZHANGZI, XIGUAN, QIN = "140428", "140428100201", "140430"


def days_ago(n: int) -> str:
    return (timeutil.today() - dt.timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
async def morning(users):
    """The city bureau's account, and cases in Zhangzi county (长子县: every
    one of them late) and Qin county (沁县: one late, one on time, one
    concluded on time last week), received weeks ago so their clocks ran
    out for real."""
    from casework.access.service import create_user

    await create_user(username="dash_bureau", password=PASSWORD, role="supervisor", jurisdiction="1404",
                      body_code="CZ-PB")
    # Makes the handling body's account once the test knows which case the chief opens.
    await create_user(username="dash_admin", password=PASSWORD, role="admin", jurisdiction="1404")
    zhangzi = await users.make("dash_clerk_zz", "clerk", ZHANGZI, "140428-ROL")
    qin = await users.make("dash_clerk_qx", "clerk", QIN, "140430-ROL")

    async def register(clerk, division: str, summary: str) -> dict:
        created = await clerk.post("/api/v1/cases", json=dispute(division_code=division, summary=summary,
                                                                 occurred_on=days_ago(60)))
        assert created.status_code == 201, created.text
        return created.json()

    with on(days_ago(30)):
        late = [await register(zhangzi, XIGUAN, f"西关村宅基地纠纷{i}") for i in range(2)]
        late.append(await register(zhangzi, "140428100000", "丹朱镇排水纠纷"))
        late.append(await register(qin, "140430000000", "沁县邻里纠纷（超期）"))
    with on(days_ago(20)):
        settled = await register(qin, "140430000000", "沁县邻里纠纷（已调解）")
    mediator = await users.make("dash_mediator_qx", "mediator", QIN, settled["proceeding"]["body"]["code"])
    with on(days_ago(19)):
        assert (await act(mediator, settled["reference"], "accept")).status_code == 200
    with on(days_ago(3)):
        done = await act(mediator, settled["reference"], "conclude", {"outcome": "agreement"})
        assert done.status_code == 200, done.text
    fresh = await register(qin, "140430000000", "沁县新登记纠纷")
    return {"late": late, "settled": settled, "fresh": fresh}


# ------------------------------------------------------------------ helpers

def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(900, min(height + 140, 6000)))
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))


def console(driver) -> list[str]:
    return [f"{e['level']} {e['message']}" for e in driver.get_log("browser")]


def wait_ready(driver, hash_: str) -> None:
    try:
        WebDriverWait(driver, 20).until(
            lambda d: d.execute_script("return document.body.dataset.ready") == hash_
            or d.find_element(By.ID, "error").text)
    except TimeoutException:
        raise AssertionError(f"{hash_} not ready; console: {console(driver)}") from None
    assert not driver.find_element(By.ID, "error").text, console(driver)


def click(driver, css: str) -> None:
    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def text(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def table(driver, test_id: str) -> dict[str, dict[str, str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, f'[data-test="{test_id}"] tbody tr[data-key]')
    return {
        row.get_attribute("data-key"): {
            cell.get_attribute("data-col"): cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td[data-col]")}
        for row in rows
    }


def as_shown(group: dict) -> dict[str, str]:
    return {k: f"{group[k]:,}" for k in ("open", "overdue", "due_soon")}


def pct(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def ranking_as_shown(body: dict) -> list[tuple]:
    return [(r["key"] or "", "—" if r["rank"] is None else str(r["rank"]), f"{r['open']:,}", f"{r['overdue']:,}",
             f"{r['due_soon']:,}", pct(r["overdue_rate"]), f"{r['on_time']:,} / {r['concluded']:,}",
             pct(r["on_time_rate"])) for r in body["rows"]]


def ranking_on_page(driver) -> list[tuple]:
    rows = driver.find_elements(By.CSS_SELECTOR, '[data-test="rankings"] tbody tr[data-key]')
    out = []
    for row in rows:
        cells = {c.get_attribute("data-col"): c.text for c in row.find_elements(By.CSS_SELECTOR, "td[data-col]")}
        out.append((row.get_attribute("data-key"), cells["rank"], cells["open"], cells["overdue"], cells["due_soon"],
                    cells["overdue_rate"], cells["concluded"], cells["on_time_rate"]))
    return out


def period_of(driver) -> tuple[str, str, str, str]:
    """(from, to, previous from, previous to) as the page states them."""
    now = text(driver, '[data-test="period-label"]').split("：")[1].split(" 至 ")
    before = text(driver, '[data-test="previous-label"]').split("：")[1].split(" 至 ")
    return now[0], now[1], before[0], before[1]


def no_page_overflow(driver) -> None:
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


# ------------------------------------------------------------------ the morning

def signed_in(server: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=server)
    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client


def crumbs(driver) -> list[str]:
    return [c.text for c in driver.find_elements(By.CSS_SELECTOR, '[data-test="crumbs"] a, [data-test="crumbs"] strong')]


def test_a_bureau_chiefs_morning(live_server, morning, browser):
    server = live_server
    api = signed_in(server, "dash_bureau")

    def get(path: str, **params) -> dict:
        response = api.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    # ---- Sign in: the page shows the form and nothing else; a favicon.
    browser.get(server + "/dashboard")
    wait_ready(browser, "#/sign-in")
    assert browser.find_element(By.ID, "username").is_displayed()
    assert not browser.find_element(By.ID, "nav").is_displayed()
    assert not browser.find_element(By.ID, "sign-out").is_displayed()
    icon = browser.find_element(By.CSS_SELECTOR, 'link[rel="icon"]').get_attribute("href")
    assert httpx.get(icon).headers["content-type"].startswith("image/svg+xml")
    shot(browser, "01-sign-in")
    browser.find_element(By.ID, "username").send_keys("dash_bureau")
    browser.find_element(By.ID, "password").send_keys("wrong password")
    browser.find_element(By.ID, "sign-in-button").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "sign-in-error").text)
    browser.find_element(By.ID, "password").clear()
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in-button").click()
    wait_ready(browser, "#/summary")
    assert browser.find_element(By.ID, "sign-out").is_displayed()
    WebDriverWait(browser, 10).until(lambda d: "长治市" in d.find_element(By.ID, "who").text)

    # ---- The city: totals, who is falling behind (this month), the tile map.
    today = timeutil.today()
    month = (today.replace(day=1).isoformat(), today.isoformat())
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    assert period_of(browser) == (*month, last_month_end.replace(day=1).isoformat(), last_month_end.isoformat())
    totals = get("/api/v1/backlog/summary", group_by="track")["totals"]
    assert text(browser, '[data-test="total-open"]') == f"{totals['open']:,}"
    assert text(browser, '[data-test="total-overdue"]') == f"{totals['overdue']:,}"
    assert text(browser, '[data-test="total-due-soon"]') == f"{totals['due_soon']:,}"
    assert text(browser, '[data-test="total-supervised"]') == f"{get('/api/v1/supervision', state='open')['total']:,}"
    assert text(browser, '[data-test="scope-name"]') == "长治市"
    tracks = get("/api/v1/backlog/summary", group_by="track")
    assert table(browser, "by-track") == {g["key"]["track"]: as_shown(g) for g in tracks["groups"]}
    aging = {b["bucket"]: f"{b['open']:,}" for b in get("/api/v1/backlog/aging")["buckets"]}
    assert {k: v["open"] for k, v in table(browser, "aging").items()} == aging
    period = {"from": month[0], "to": month[1], "previous_from": period_of(browser)[2],
              "previous_to": period_of(browser)[3]}
    ranked = get("/api/v1/backlog/rankings", **period)
    assert ranking_on_page(browser) == ranking_as_shown(ranked)
    assert {"140403", ZHANGZI, QIN} <= {r["key"] for r in ranked["rows"]}
    tiles = {t.get_attribute("data-key") for t in browser.find_elements(By.CSS_SELECTOR, '[data-test="map"] [data-key]')}
    assert tiles == {r["key"] for r in ranked["rows"]}  # every county drawn, from the division data
    shot(browser, "02-city-ranking")

    # Ranked by on-time conclusion instead: the API's order.
    click(browser, '[data-sort="on_time_rate"]')
    wait_ready(browser, "#/summary?sort=on_time_rate")
    by_on_time = get("/api/v1/backlog/rankings", sort="on_time_rate", **period)
    assert ranking_on_page(browser) == ranking_as_shown(by_on_time)
    qin_row = next(r for r in by_on_time["rows"] if r["key"] == QIN)
    assert (qin_row["concluded"], qin_row["on_time"]) == ((1, 1) if days_ago(3) >= month[0] else (0, 0))

    # ---- Change the period: this quarter, then a custom range.
    click(browser, '[data-period="quarter"]')
    wait_ready(browser, "#/summary?sort=on_time_rate&period=quarter")
    q_from, q_to, p_from, p_to = period_of(browser)
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    assert (q_from, q_to, p_to) == (quarter_start.isoformat(), today.isoformat(),
                                    (quarter_start - dt.timedelta(days=1)).isoformat())
    now = get("/api/v1/backlog/metrics", **{"from": q_from, "to": q_to})
    before = get("/api/v1/backlog/metrics", **{"from": p_from, "to": p_to})
    for test_id, key in (("metric-on-time", "on_time_conclusion_rate"), ("metric-mediation", "mediation_success_rate"),
                         ("metric-repeat", "repeat_petition_rate")):
        assert text(browser, f'[data-test="{test_id}"] [data-col="value"]') == pct(now[key]["rate"]), test_id
        assert text(browser, f'[data-test="{test_id}"] [data-col="previous"]') == pct(before[key]["rate"]), test_id
    on_time = now["on_time_conclusion_rate"]
    assert text(browser, '[data-test="metric-on-time"] [data-col="counts"]') == (
        f"{on_time['on_time']:,} / {on_time['concluded']:,} 件")
    assert on_time["concluded"] >= 1  # the Qin mediation, concluded three days ago
    quarter = get("/api/v1/backlog/rankings", sort="on_time_rate", **{
        "from": q_from, "to": q_to, "previous_from": p_from, "previous_to": p_to})
    assert ranking_on_page(browser) == ranking_as_shown(quarter)
    trends = get("/api/v1/backlog/trends", **{"from": q_from, "to": q_to, "interval": "week"})
    intake = sum(p["intake"]["total"] for p in trends["periods"])
    assert f"受理 {intake:,} 件" in text(browser, '[data-test="trend-totals"]')
    shot(browser, "03-city-this-quarter")

    click(browser, '[data-period="custom"]')
    custom_from, custom_to = days_ago(45), days_ago(1)
    for element_id, value in (("period-from", custom_to), ("period-to", custom_from)):  # backwards first
        browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, element_id), value)
    click(browser, "#period-apply")
    assert text(browser, "#period-error") == "开始日期不能晚于结束日期"
    for element_id, value in (("period-from", custom_from), ("period-to", custom_to)):
        browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, element_id), value)
    click(browser, "#period-apply")
    wait_ready(browser, f"#/summary?sort=on_time_rate&period=custom&from={custom_from}&to={custom_to}")
    assert period_of(browser)[:2] == (custom_from, custom_to)
    custom = get("/api/v1/backlog/metrics", **{"from": custom_from, "to": custom_to})
    assert text(browser, '[data-test="metric-on-time"] [data-col="value"]') == pct(
        custom["on_time_conclusion_rate"]["rate"])

    # ---- Back to this month, by overdue rate, and into the worst county.
    browser.get(server + "/dashboard#/summary?period=month")
    wait_ready(browser, "#/summary?period=month")
    worst = get("/api/v1/backlog/rankings", **period)["rows"][0]
    assert worst["rank"] == 1 and worst["overdue_rate"] == max(
        r["overdue_rate"] or 0 for r in ranked["rows"])
    click(browser, f'[data-test="rankings"] tr[data-key="{worst["key"]}"] a[data-test="drill"]')
    wait_ready(browser, f"#/summary?period=month&division={worst['key']}")
    county = worst["key"]
    names = [c["name"] for c in get("/api/v1/backlog/summary", division=county)["scope_path"]][1:]
    assert crumbs(browser) == names  # 长治市 › 长子县, by name
    towns = get("/api/v1/backlog/rankings", division=county, **period)
    assert ranking_on_page(browser) == ranking_as_shown(towns)
    county_totals = get("/api/v1/backlog/summary", group_by="track", division=county)["totals"]
    assert text(browser, '[data-test="total-overdue"]') == f"{county_totals['overdue']:,}"
    shot(browser, "04-county")

    # A township of it, by name, then back to the county by its breadcrumb.
    town = next(r for r in towns["rows"] if r["drill_down"])
    click(browser, f'[data-test="map"] a[data-key="{town["key"]}"]')
    wait_ready(browser, f"#/summary?period=month&division={town['key']}")
    assert crumbs(browser) == [*names, town["label"]]
    assert ranking_on_page(browser) == ranking_as_shown(get("/api/v1/backlog/rankings", division=town["key"], **period))
    shot(browser, "05-township")
    click(browser, f'[data-test="crumbs"] a[data-prefix="{county}"]')
    wait_ready(browser, f"#/summary?division={county}")

    # ---- The county's overdue list, and a case in it.
    click(browser, '[data-test="overdue-link"]')
    wait_ready(browser, f"#/overdue?division={county}")
    overdue = get("/api/v1/backlog/overdue", division=county)["items"]
    shown = [r.get_attribute("data-reference") for r in
             browser.find_elements(By.CSS_SELECTOR, '[data-test="due-list"] tbody tr[data-reference]')]
    assert shown == [i["reference"] for i in overdue] and shown
    shot(browser, "06-county-overdue")
    reference = next(i["reference"] for i in overdue if not i["supervised"])
    click(browser, f'tr[data-reference="{reference}"] a[data-test="case-link"]')
    wait_ready(browser, f"#/case/{reference}")
    detail = get(f"/api/v1/cases/{reference}")
    assert text(browser, '[data-test="case-reference"]') == reference
    clocks = {c["id"]: c for p in detail["proceedings"] for c in p["clocks"]}
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-clock-id]")
    assert {int(r.get_attribute("data-clock-id")) for r in rows} == set(clocks)
    whose_zh = {"body": "办理机关", "party": "当事人", "court": "法院"}
    for row in rows:
        clock = clocks[int(row.get_attribute("data-clock-id"))]
        assert row.find_element(By.CSS_SELECTOR, '[data-col="whose"]').text == whose_zh[clock["whose"]]
        assert row.find_element(By.CSS_SELECTOR, '[data-col="due_on"]').text.startswith(clock["due_on"])
        assert row.find_element(By.CSS_SELECTOR, '[data-col="status"]').get_attribute("data-status") == clock["status"]
    assert "breached" in {c["status"] for c in clocks.values()}
    actions = [li.get_attribute("data-action") for li in
               browser.find_elements(By.CSS_SELECTOR, '[data-test="allowed-actions"] [data-action]')]
    assert actions == detail["allowed_actions"] and "supervise" in actions
    ids = [c.text for c in browser.find_elements(By.CSS_SELECTOR, '[data-test="parties"] [data-col="id_number"]')]
    assert ids == [p["id_number"] or "—" for p in detail["parties"]] and all("*" in i for i in ids)
    assert text(browser, '[data-test="supervision"]') == "没有督办事项"
    shot(browser, "07-case")

    # ---- Open a supervision item (督办) from the page.
    respond_by = (today + dt.timedelta(days=7)).isoformat()
    browser.find_element(By.ID, "supervise-reason").send_keys("超期未受理，请于一周内说明原因并作出受理决定")
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "supervise-respond-by"),
                           respond_by)
    click(browser, "#supervise-submit")
    WebDriverWait(browser, 20).until(lambda d: text(d, '[data-test="case-message"]') == "已提交")
    items = get(f"/api/v1/cases/{reference}/supervision")["items"]
    pressed = next(i for i in items if i["opened_by"] == "dash_bureau")
    assert (pressed["respond_by"], pressed["state"]) == (respond_by, "open")
    shown_items = browser.find_elements(By.CSS_SELECTOR, '[data-test="supervision"] [data-item-id]')
    assert [int(i.get_attribute("data-item-id")) for i in shown_items] == [i["id"] for i in items]
    mine = browser.find_element(By.CSS_SELECTOR, f'[data-item-id="{pressed["id"]}"]')
    assert mine.find_element(By.CSS_SELECTOR, '[data-col="reason"]').text == pressed["reason"]
    assert text(browser, '[data-test="case-supervised"]') == f"督办中 ×{len(items)}"
    shot(browser, "08-case-supervised")

    # ---- It shows in the overdue list.
    browser.get(server + f"/dashboard#/overdue?division={county}")
    wait_ready(browser, f"#/overdue?division={county}")
    listed = next(i for i in get("/api/v1/backlog/overdue", division=county)["items"] if i["reference"] == reference)
    assert listed["supervised"] and listed["supervision_open"] == len(items)
    cell = text(browser, f'tr[data-reference="{reference}"] [data-col="supervision"]')
    assert cell.startswith(f"督办中 ×{len(items)}") and respond_by[5:] in cell
    shot(browser, "09-overdue-supervised")

    # ---- The handling body answers (through the API); the chief reads the answer and closes the item.
    admin = signed_in(server, "dash_admin")
    made = admin.post("/api/v1/users", json={
        "username": "dash_handler", "password": PASSWORD, "role": "mediator",
        "jurisdiction": detail["division_code"][:6], "body_code": detail["proceeding"]["body"]["code"]})
    assert made.status_code == 201, made.text
    handler = signed_in(server, "dash_handler")
    etag = handler.get(f"/api/v1/cases/{reference}").headers["etag"]
    answered = handler.post(f"/api/v1/cases/{reference}/supervision/{pressed['id']}/response",
                            json={"response": "已约双方当事人，定于下周二调解并作出受理决定"}, headers={"If-Match": etag})
    assert answered.status_code == 200, answered.text
    click(browser, f'tr[data-reference="{reference}"] a[data-test="case-link"]')
    wait_ready(browser, f"#/case/{reference}")
    mine = browser.find_element(By.CSS_SELECTOR, f'[data-item-id="{pressed["id"]}"]')
    assert "已约双方当事人" in mine.find_element(By.CSS_SELECTOR, '[data-col="response"]').text
    mine.find_element(By.CSS_SELECTOR, '[data-test="close-text"]').send_keys("回复属实，督促按期受理，予以办结")
    click(browser, f'[data-item-id="{pressed["id"]}"] [data-test="close-submit"]')
    WebDriverWait(browser, 20).until(lambda d: text(d, '[data-test="case-message"]') == "已提交")
    closed = next(i for i in get(f"/api/v1/cases/{reference}/supervision")["items"] if i["id"] == pressed["id"])
    assert (closed["state"], closed["closed_by"], closed["closed_reason"]) == (
        "closed", "dash_bureau", "回复属实，督促按期受理，予以办结")
    mine = browser.find_element(By.CSS_SELECTOR, f'[data-item-id="{pressed["id"]}"]')
    assert mine.get_attribute("data-state") == "closed"
    timeline = [li.get_attribute("data-type") for li in browser.find_elements(By.CSS_SELECTOR, '[data-test="timeline"] li')]
    assert timeline[:3] == ["supervision_closed", "supervision_responded", "supervised"]
    shot(browser, "10-case-answered-and-closed")

    # ---- The supervision list of the city, as the API lists it.
    click(browser, '[data-test="nav-supervision"]')
    wait_ready(browser, "#/supervision")
    open_items = get("/api/v1/supervision", state="open", limit=50)["items"]
    shown = [int(r.get_attribute("data-item-id")) for r in
             browser.find_elements(By.CSS_SELECTOR, '[data-test="supervision-list"] tbody tr[data-item-id]')]
    assert shown == [i["id"] for i in open_items] and pressed["id"] not in shown
    shot(browser, "11-supervision-list")

    # Nothing came from anywhere but the service itself, and the strict CSP refused nothing.
    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    assert set(origins) <= {server}
    errors = [m for m in console(browser) if m.startswith("SEVERE") and "401" not in m]
    assert not errors, errors

    # ---- On a phone: one column, nothing wider than the screen.
    browser.set_window_size(390, 844)
    browser.get(server + "/dashboard#/summary")
    wait_ready(browser, "#/summary")
    no_page_overflow(browser)
    shot(browser, "12-phone-city")
    browser.get(server + f"/dashboard#/case/{reference}")
    wait_ready(browser, f"#/case/{reference}")
    no_page_overflow(browser)
    shot(browser, "13-phone-case")
    browser.set_window_size(390, 844)
    browser.get(server + f"/dashboard#/overdue?division={county}")
    wait_ready(browser, f"#/overdue?division={county}")
    no_page_overflow(browser)
    shot(browser, "13-phone-overdue")
    browser.set_window_size(820, 1180)
    browser.get(server + f"/dashboard#/summary?division={county}")
    wait_ready(browser, f"#/summary?division={county}")
    no_page_overflow(browser)
    shot(browser, "14-tablet-county")

    # ---- Sign out: back to the bare sign-in form.
    browser.set_window_size(1366, 900)
    click(browser, '[data-test="sign-out"]')
    wait_ready(browser, "#/sign-in")
    assert browser.find_element(By.ID, "username").is_displayed()
    assert not browser.find_element(By.ID, "nav").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('casework.dashboard.token')") is None
    shot(browser, "15-signed-out")
