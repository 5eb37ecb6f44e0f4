"""An administrator signs in to /admin in a real browser and opens the time
limits: the screen works under its Content-Security-Policy, with its
assets served whole through the bounded-body mount."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.heavy

By = pytest.importorskip("selenium.webdriver.common.by", reason="selenium is in the [test] extra").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait

PASSWORD = "admin-browser-pw"


async def test_an_admin_signs_in_and_opens_the_time_limits(live_server, browser):
    from casework.access.service import create_user

    await create_user(username="browser_admin", password=PASSWORD, role="admin", jurisdiction="14")
    browser.get(live_server + "/admin/")
    WebDriverWait(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "input")) >= 2)
    fields = browser.find_elements(By.CSS_SELECTOR, "input")
    fields[0].send_keys("browser_admin")
    fields[1].send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit], button").click()
    WebDriverWait(browser, 20).until(lambda d: "Time Limit" in d.find_element(By.TAG_NAME, "body").text)
    assert "App User" not in browser.find_element(By.TAG_NAME, "body").text
    browser.get(live_server + "/admin/#/time_limit")
    WebDriverWait(browser, 20).until(lambda d: "petition.register_forward" in d.find_element(By.TAG_NAME, "body").text)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "admin-time-limits.png"))
    blocked = [e["message"] for e in browser.get_log("browser")
               if "Content Security Policy" in e["message"] or "CONTENT_LENGTH_MISMATCH" in e["message"]]
    assert blocked == []
