"""A model's docs page in a real browser: Debian's headless Chromium, driven by Selenium
through Debian's chromedriver (``make test`` installs both).

The page must render the model's column names from its own document, and "Try it out" on
the example request must come back with a prediction, with nothing fetched from outside the
server (the machine has no internet; every request the page made is checked).
If Chromium cannot start, the test fails saying why: it is never skipped.
"""

from __future__ import annotations

import json
import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    # without these Chromium keeps calling out, and the closed network refuses it many times over
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,2000",
]


@pytest.fixture(scope="module")
def browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            pytest.fail(f"{path} is missing: `make test` installs Debian's chromium and chromium-driver")
    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        pytest.fail(f"Chromium could not start: {exc.msg}")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_the_docs_page_renders_the_columns_and_try_it_out_predicts(server, browser):
    wait = WebDriverWait(browser, 60)
    browser.get(f"{server.url}/v2/models/wine/docs")
    infer = wait.until(ready.presence_of_element_located(
        (By.XPATH, "//div[contains(@class,'opblock-post')][.//*[@data-path='/v2/models/wine/infer']]")))
    assert "wine" in browser.title
    infer.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    example = wait.until(lambda d: infer.find_element(By.CSS_SELECTOR, ".body-param__example, .microlight"))
    for column in ("fixed acidity", "volatile acidity", "alcohol"):
        assert column in example.text, example.text[:500]

    infer.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    wait.until(lambda d: infer.find_element(By.CSS_SELECTOR, ".execute")).click()
    status = wait.until(lambda d: infer.find_element(By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"))
    body = infer.find_element(By.CSS_SELECTOR, ".live-responses-table .response-col_description pre").text
    assert status.text.strip().startswith("200"), body
    answer = json.loads(body)
    assert answer["model_name"] == "wine" and len(answer["outputs"][0]["data"]) == 2  # the example's two rows

    # the browser's own pages (chrome://, its new tab page) aside, only the server was asked
    fetched = [u for u in requested_urls(browser) if u.split(":", 1)[0] in ("http", "https", "ws", "wss")]
    assert any(u.endswith("/v2/docs/runtime-mlflow/swagger-ui-bundle.js") for u in fetched), fetched
    assert [u for u in fetched if not u.startswith(server.url)] == [], fetched
