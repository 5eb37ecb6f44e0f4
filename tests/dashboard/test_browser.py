"""The city petition bureau opens the dashboard in a real browser: signs in,
reads the summary, drills down from the city to a county, a township and a
village, opens the overdue list -- and every number it sees is the API's.

Headless Chromium (Debian's /usr/bin/chromium, driven through
/usr/bin/chromedriver by selenium) against the service on a real uvicorn
server on a free loopback port. Screenshots of each page go to artifacts/.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from casework import timeutil
from tests.conftest import ARTIFACTS
from tests.support import dispute

By = pytest.importorskip("selenium.webdriver.common.by", reason="selenium is in the [test] extra").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait

PASSWORD = "dashboard-test-pw"


@pytest.fixture(scope="module")
async def bureau(users, db):
    """A city bureau account with a known password, and a few cases in
    Zhangzi county (140428) down to one village, one of them overdue (SQL)."""
    from casework.access.service import create_user

    await create_user(username="dash_bureau", password=PASSWORD, role="supervisor", jurisdiction="1404",
                      body_code="CZ-PB")
    clerk = await users.make("dash_clerk_zz", "clerk", "140428", "140428-ROL")
    created = []
    for i, code in enumerate(["140428100201", "140428100201", "140428000000"]):
        response = await clerk.post("/api/v1/cases", json=dispute(division_code=code, summary=f"长子县纠纷{i}"))
        assert response.status_code == 201, response.text
        created.append(response.json())
    # SQL: the first is ten days past its deadline.
    await db.execute("UPDATE clock SET due_on = $2 WHERE case_id = $1 AND state <> 'stopped'",
                     created[0]["id"], timeutil.today() - dt.timedelta(days=10))
    return created


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(900, min(height + 120, 4000)))
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))


def wait_ready(driver, hash_: str) -> None:
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.body.dataset.ready") == hash_
        or d.find_element(By.ID, "error").text)
    assert not driver.find_element(By.ID, "error").text


def table(driver, test_id: str) -> dict[str, dict[str, str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, f'[data-test="{test_id}"] tbody tr[data-key]')
    return {
        row.get_attribute("data-key"): {
            cell.get_attribute("data-col"): cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td[data-col]")}
        for row in rows
    }


def as_shown(group: dict) -> dict[str, str]:
    return {k: f"{group[k]:,}" for k in ("open", "overdue", "due_soon")}


def test_the_bureau_signs_in_drills_down_and_opens_the_overdue_list(live_server, bureau, browser):
    server = live_server
    api = httpx.Client(base_url=server)
    token = api.post("/api/v1/auth/token", json={"username": "dash_bureau", "password": PASSWORD}).json()
    api.headers["Authorization"] = f"Bearer {token['access_token']}"

    browser.get(server + "/dashboard")
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "username").is_displayed())
    shot(browser, "1-sign-in")
    browser.find_element(By.ID, "username").send_keys("dash_bureau")
    browser.find_element(By.ID, "password").send_keys("wrong password")
    browser.find_element(By.ID, "sign-in-button").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "sign-in-error").text)
    browser.find_element(By.ID, "password").clear()
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in-button").click()
    wait_ready(browser, "#/summary")
    shot(browser, "2-summary-city")

    # The city summary: the same totals and groups as the API.
    city = api.get("/api/v1/backlog/summary", params={"group_by": "division"}).json()
    tracks = api.get("/api/v1/backlog/summary", params={"group_by": "track"}).json()
    assert browser.find_element(By.ID, "total-open").text == f"{tracks['totals']['open']:,}"
    assert browser.find_element(By.ID, "total-overdue").text == f"{tracks['totals']['overdue']:,}"
    assert browser.find_element(By.ID, "total-due-soon").text == f"{tracks['totals']['due_soon']:,}"
    shown = table(browser, "by-division")
    assert shown == {g["key"]["division"]: as_shown(g) for g in city["groups"]}
    assert shown["140428"]["open"] == "3"  # the county we drill into
    assert table(browser, "by-track") == {g["key"]["track"]: as_shown(g) for g in tracks["groups"]}
    aging = api.get("/api/v1/backlog/aging").json()
    shown_aging = table(browser, "aging")
    assert {k: v["open"] for k, v in shown_aging.items()} == {b["bucket"]: f"{b['open']:,}" for b in aging["buckets"]}

    # Drill down: county -> township -> village.
    for division, name in (("140428", "county"), ("140428100", "township")):
        browser.find_element(By.CSS_SELECTOR, f'[data-test="by-division"] tr[data-key="{division}"] a').click()
        wait_ready(browser, f"#/summary?division={division}")
        shot(browser, f"3-summary-{name}")
        expected = api.get("/api/v1/backlog/summary", params={"group_by": "division", "division": division}).json()
        assert table(browser, "by-division") == {g["key"]["division"]: as_shown(g) for g in expected["groups"]}
        assert browser.find_element(By.CSS_SELECTOR, '[data-test="scope-name"]').text == expected["scope_name"]
    village = table(browser, "by-division")["140428100201"]
    assert (village["open"], village["overdue"]) == ("2", "1")

    # The overdue list of the village, from the overdue count in its row.
    browser.find_element(By.CSS_SELECTOR, '[data-test="by-division"] tr[data-key="140428100201"] '
                                          'td[data-col="overdue"] a').click()
    wait_ready(browser, "#/overdue?division=140428100201")
    shot(browser, "4-overdue-village")
    rows = browser.find_elements(By.CSS_SELECTOR, '[data-test="due-list"] tbody tr[data-reference]')
    expected = api.get("/api/v1/backlog/overdue", params={"division": "140428100201"}).json()["items"]
    assert [r.get_attribute("data-reference") for r in rows] == [i["reference"] for i in expected]
    assert [i["reference"] for i in expected] == [bureau[0]["reference"]]
    assert rows[0].find_element(By.CSS_SELECTOR, 'td[data-col="days"]').text == "10"

    # The whole city's overdue list, as the API lists it.
    browser.find_element(By.CSS_SELECTOR, '[data-test="nav-overdue"]').click()
    wait_ready(browser, "#/overdue")
    shot(browser, "5-overdue-city")
    shown_refs = [r.get_attribute("data-reference") for r in
                  browser.find_elements(By.CSS_SELECTOR, '[data-test="due-list"] tbody tr[data-reference]')]
    api_refs = [i["reference"] for i in api.get("/api/v1/backlog/overdue", params={"limit": 100}).json()["items"]]
    assert shown_refs == api_refs

    # Nothing came from anywhere but the service itself.
    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    assert set(origins) <= {server}

    # Readable on a tablet too.
    browser.set_window_size(820, 1180)
    browser.get(server + "/dashboard#/summary")
    wait_ready(browser, "#/summary")
    shot(browser, "6-summary-tablet")
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
