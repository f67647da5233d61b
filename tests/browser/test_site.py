"""The site in a real browser (headless Chromium): a person searches a prefix, opens a project, switches the chart's
breakdown and range, and compares two projects. The numbers shown equal the API's, every chart image is drawn with
the expected lines, the console stays clean, axe-core finds no serious or critical violation, every page fits a
360-pixel-wide phone, and the pages work with script off. Screenshots of each page (desktop and phone) are saved
in tests/browser/screenshots/."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PHONE, api, fetch, save_full_page, use_phone
from tests.e2e.api_support import TOTAL_WITHOUT_MIRRORS

pytestmark = pytest.mark.timeout(120)
SVG_NS = "{http://www.w3.org/2000/svg}"
# Every page, by the name its screenshots take.
PAGES = {
    "home": "/",
    "search": "/search?q=demo",
    "project": "/projects/demo-pkg",
    "project-by-version": "/projects/demo-pkg?breakdown=version&period=30d",
    "compare": "/compare?projects=demo-pkg,other",
    "compare-empty": "/compare",
    "not-found": "/projects/nothing-here",
    "invalid": "/projects/demo-pkg?period=5y",
}
# The statuses of pages that are errors on purpose: the console reports their load, which is not a fault.
STATUS = {"not-found": 404, "invalid": 400}


def number(text: str) -> int:
    return int(text.replace(",", ""))


def go(browser, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")


def click_and_wait(browser, element) -> None:
    """Follow a link or submit a form, and wait for the next page."""
    html = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 10).until(lambda b: html != b.find_element(By.TAG_NAME, "html"))
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")


def table(browser, selector: str) -> tuple[list[str], list[list[str]]]:
    """A table's column headings and its rows' cells (row heading first), as shown."""
    found = browser.find_element(By.CSS_SELECTOR, selector)
    headings = [th.get_attribute("textContent").strip() for th in found.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [cell.get_attribute("textContent").strip() for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
        for row in found.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    return headings, rows


def chart_lines(browser) -> dict[str, int]:
    """The chart image the browser drew: it loaded with a size, and the SVG it shows has these lines (each line's
    last value, from the SVG's description)."""
    image = browser.find_element(By.CSS_SELECTOR, "figure.chart img")
    width, source = browser.execute_script(
        "const img = arguments[0]; return [img.complete ? img.naturalWidth : 0, img.currentSrc];", image
    )
    assert width > 0, f"the chart {source} was not drawn"
    status, media, svg = fetch(source)
    assert status == 200 and media.startswith("image/svg+xml"), svg[:300]
    description = ET.fromstring(svg).find(f"{SVG_NS}desc").text
    lines = re.search(r"Last values: (.*)\.$", description).group(1).split("; ")
    return {label: number(value) for label, value in (line.rsplit(": ", 1) for line in lines)}


def chart_table_equals_series(browser, series: list[dict], labels: list[str]) -> None:
    """The table beside the chart holds the API's series: one column per line, one row per bucket."""
    headings, rows = table(browser, "#chart-table")
    assert headings[1:] == labels
    assert [row[0].removesuffix(" (partial)") for row in rows] == [p["start"] for p in series[0]["data"]]
    for column, one in enumerate(series, start=1):
        assert [number(row[column]) for row in rows] == [p["downloads"] for p in one["data"]], labels[column - 1]


def test_search_a_prefix_then_open_a_project_whose_numbers_are_the_apis(browser, site):
    go(browser, site + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("demo")
    html = browser.find_element(By.TAG_NAME, "html")
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: html != b.find_element(By.TAG_NAME, "html"))
    assert urlsplit(browser.current_url).path == "/search"
    assert parse_qs(urlsplit(browser.current_url).query) == {"q": ["demo"]}

    found = api(site + "/api/v3/search?q=demo&limit=20")["projects"]
    _, rows = table(browser, "#results")
    assert [(name, number(total)) for name, total in rows] == [(p["name"], p["total_downloads"]) for p in found]

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "demo-pkg"))
    assert urlsplit(browser.current_url).path == "/projects/demo-pkg"
    assert browser.find_element(By.TAG_NAME, "h1").text == "demo-pkg"

    summary = api(site + "/api/v3/projects/demo-pkg")
    _, rows = table(browser, "#totals")
    shown = {row[0]: (number(row[1]), number(row[2])) for row in rows}
    for label, window in (("Last day", "last_day"), ("Last 7 days", "last_week"), ("Last 30 days", "last_month")):
        sums = summary["downloads"][window]
        assert shown[label] == (sums["with_mirrors"], sums["without_mirrors"]), label
    assert shown["All time"] == (summary["total_downloads"], TOTAL_WITHOUT_MIRRORS)

    # The chart's range is the default 90 days, aligned on its first day: its series, and its versions.
    assert chart_lines(browser) == {"demo-pkg": summary["downloads"]["last_day"]["with_mirrors"]}
    caption = browser.find_element(By.ID, "chart-table-caption").text
    start, end = re.search(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", caption).groups()
    series = api(site + f"/api/v3/projects/demo-pkg/downloads?start={start}&end={end}")
    chart_table_equals_series(browser, [series], ["demo-pkg"])

    by_version = api(site + f"/api/v3/projects/demo-pkg/downloads?start={start}&end={end}&breakdown=version")
    totals: dict[str, int] = {}
    for point in by_version["data"]:
        for version, downloads in point["categories"].items():
            totals[version] = totals.get(version, 0) + downloads
    _, rows = table(browser, "#versions")
    assert [(version, number(n)) for version, n in rows] == [
        ("3.0.0rc1", totals["3.0.0rc1"]),
        ("2.10.0", totals["2.10.0"]),
        ("2.9.0", totals["2.9.0"]),
        ("1.0", totals["1.0"]),
    ]


def test_switch_the_breakdown_then_the_range(browser, site):
    go(browser, site + "/projects/demo-pkg")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Version"))
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "30 days"))
    assert parse_qs(urlsplit(browser.current_url).query) == {"period": ["30d"], "breakdown": ["version"]}
    current = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.options a[aria-current]")]
    assert current == ["30 days", "Automatic", "Version"]

    caption = browser.find_element(By.ID, "chart-table-caption").text
    start, end = re.search(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", caption).groups()
    series = api(site + f"/api/v3/projects/demo-pkg/downloads?start={start}&end={end}&breakdown=version")
    last = series["data"][-1]["categories"]
    # Four versions were downloaded in the range: fewer than the five a chart draws, so no "other" line.
    lines = chart_lines(browser)
    assert lines == {version: last.get(version, 0) for version in lines}
    assert set(lines) == {"2.10.0", "2.9.0", "1.0", "3.0.0rc1"}
    headings, rows = table(browser, "#chart-table")
    assert headings[1:] == list(lines)
    for column, version in enumerate(headings[1:], start=1):
        assert [number(row[column]) for row in rows] == [p["categories"].get(version, 0) for p in series["data"]]


def test_compare_two_projects(browser, site):
    go(browser, site + "/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Compare"))
    box = browser.find_element(By.ID, "projects")
    box.send_keys("demo-pkg, Other")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.compare button"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Compare demo-pkg vs other"

    assert set(chart_lines(browser)) == {"demo-pkg", "other"}
    caption = browser.find_element(By.ID, "chart-table-caption").text
    start, end = re.search(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", caption).groups()
    compared = api(site + f"/api/v3/compare?projects=demo-pkg,other&start={start}&end={end}")
    chart_table_equals_series(browser, compared["series"], ["demo-pkg", "other"])


def test_a_copy_button_copies_its_snippet(browser, site):
    go(browser, site + "/projects/demo-pkg")
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": site, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}
    )
    button = browser.find_element(By.CSS_SELECTOR, "button[data-copy='badge-markdown']")
    assert button.is_displayed()
    button.click()
    WebDriverWait(browser, 5).until(lambda b: b.find_element(By.ID, "copy-status").text)
    assert browser.find_element(By.ID, "copy-status").text == "Markdown copied."
    copied = browser.execute_async_script("navigator.clipboard.readText().then(arguments[0])")
    assert copied == f"[![PyPI downloads]({site}/badge/demo-pkg)]({site}/projects/demo-pkg)"


def test_the_pages_work_with_script_off(browser, site):
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        go(browser, site + "/compare")
        browser.find_element(By.ID, "projects").send_keys("other,demo-pkg")
        click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.compare button"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Compare other vs demo-pkg"
        click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Weekly"))
        assert table(browser, "#chart-table")[0] == ["Week from", "other", "demo-pkg"]
        go(browser, site + "/projects/demo-pkg")
        # Without script the snippets are selected by hand: no button that would do nothing.
        assert not any(b.is_displayed() for b in browser.find_elements(By.CSS_SELECTOR, "button[data-copy]"))
        assert "/badge/demo-pkg" in browser.find_element(By.ID, "badge-markdown").text
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_the_keyboard_reaches_everything_with_a_visible_focus(browser, site):
    go(browser, site + "/projects/demo-pkg")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to the content" and skip.rect["y"] >= 0
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "content"
    seen = []
    for _ in range(8):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        focused = browser.switch_to.active_element
        seen.append(focused.text)
        outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", focused)
        assert outline not in ("", "none"), focused.text
    # After the link to PyPI, the tables' scroll regions and the chart's options, in the page's order.
    assert seen[0] == "demo-pkg on PyPI" and "30 days" in seen


def test_the_dark_scheme_keeps_its_contrast(browser, site, axe_source):
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    try:
        for path in (PAGES["project-by-version"], PAGES["search"], PAGES["invalid"]):
            go(browser, site + path)
            browser.execute_script(axe_source)
            results = browser.execute_async_script(
                "axe.run(document, {runOnly: ['color-contrast']}).then(arguments[0])"
            )
            assert results["violations"] == [], path
            background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(13, 17, 23)"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_every_page_is_accessible_fits_a_phone_and_logs_no_error(browser, site, axe_source, screenshots, phone):
    use_phone(browser, phone)
    try:
        browser.get_log("browser")
        for name, path in PAGES.items():
            go(browser, site + path)
            save_full_page(browser, screenshots / f"{name}-{'phone' if phone else 'desktop'}.png")

            assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1, name
            for landmark in ("header", "nav", "main", "footer"):
                assert browser.find_elements(By.TAG_NAME, landmark), (name, landmark)
            for image in browser.find_elements(By.TAG_NAME, "img"):
                assert image.get_attribute("alt"), (name, image.get_attribute("src"))
                assert browser.execute_script("return arguments[0].naturalWidth", image) > 0, name
            if phone:
                width = browser.execute_script("return document.documentElement.scrollWidth")
                assert width <= PHONE[0], f"{name} is {width} pixels wide: it scrolls sideways on a phone"

            browser.execute_script(axe_source)
            results = browser.execute_async_script(
                "axe.run(document, {resultTypes: ['violations']}).then(arguments[0])"
            )
            serious = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                for v in results["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], name

            errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
            if name in STATUS:
                expected = f"the server responded with a status of {STATUS[name]}"
                errors = [message for message in errors if expected not in message]
            assert errors == [], name
    finally:
        use_phone(browser, False)
