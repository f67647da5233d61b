"""The browser suite's harness: the site served over the known data (tests/e2e/api_support.py) by a live server in
this process, and Debian's Chromium driven headless through chromedriver, with axe-core from the npm package that
`make setup` installs into tests/browser/node_modules. Without Chromium, chromedriver or axe-core the suite fails,
saying what to install; it never skips."""

from __future__ import annotations

import base64
import json
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

from pepy.infrastructure.api.app import create_app
from tests.e2e.api_support import close, loaded_database, make_container  # noqa: F401

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
DESKTOP = (1280, 900)
PHONE = (360, 780)


@pytest.fixture(scope="module")
def site(loaded_database):  # noqa: F811
    """The base URL of the app over the known data, served by werkzeug's threaded server until the module ends,
    with the app's own headers (its Content-Security-Policy: whatever the browser blocks is a console error)."""
    container = make_container(loaded_database)
    server = make_server("127.0.0.1", 0, create_app(container), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    close(container)


@pytest.fixture(scope="session")
def browser():
    """Chromium, headless, at a desktop's size, keeping the console's messages for get_log('browser')."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.fail(
            "The browser tests need Debian's Chromium and its driver: `make setup` installs them "
            "(apt-get install chromium chromium-driver)",
            pytrace=False,
        )
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, to inject into a page."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): `make setup` installs it (npm ci in tests/browser)", pytrace=False)
    return AXE.read_text()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder the screenshots go to (ignored by git), emptied at the start of the run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir()
    print(f"\nscreenshots: {SCREENSHOTS}")
    return SCREENSHOTS


def fetch(url: str) -> tuple[int, str, str]:
    """Status, content type and text of a GET, as a program (not the browser) sees it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def api(url: str) -> dict:
    """A JSON answer of the API."""
    status, _, text = fetch(url)
    assert status == 200, text
    return json.loads(text)


def use_phone(driver, phone: bool) -> None:
    """Lay pages out as a 360-pixel-wide phone does (a mobile viewport), or back at the desktop's size."""
    if phone:
        metrics = {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def save_full_page(driver, path: Path) -> None:
    """A PNG of the whole page, below the fold included."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
