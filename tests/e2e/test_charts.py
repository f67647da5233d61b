"""Chart routes and the comparison API: the series behind each chart equals v3's, every answer is an image (errors
included), fuzzed parameters never break one, and the JSON and CSV comparison equal each project's own series."""

from __future__ import annotations

import csv
import io
import random
import re
import string
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from tests.e2e.api_support import LAST_DAY

pytestmark = pytest.mark.timeout(120)
SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def svg_root(response, status: int = 200) -> ET.Element:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == f"{SVG_NS}svg"
    return root


def last_values(root: ET.Element) -> dict[str, int]:
    """Each line's last value, from the chart's description (what a screen reader hears)."""
    text = root.find(f"{SVG_NS}desc").text
    found = re.search(r"Last values: (.*)\.$", text).group(1)
    return {name: int(value.replace(",", "")) for name, value in (item.rsplit(": ", 1) for item in found.split("; "))}


def test_a_project_chart_draws_its_v3_series(api_client):
    root = svg_root(api_client.get("/chart/Demo.Pkg.svg?period=30d"))
    series = api_client.get("/api/v3/projects/demo-pkg/downloads").get_json()

    assert root.find(f"{SVG_NS}title").text == "demo-pkg · downloads"
    assert f"{series['start']} to {series['end']}" in root.find(f"{SVG_NS}desc").text
    assert last_values(root) == {"demo-pkg": series["data"][-1]["downloads"]}


def test_a_breakdown_chart_draws_the_top_categories_and_other(api_client):
    root = svg_root(api_client.get("/chart/demo-pkg.svg?start=2026-11-13&end=2026-11-20&breakdown=version&top=1"))
    series = api_client.get(
        "/api/v3/projects/demo-pkg/downloads?start=2026-11-13&end=2026-11-20&breakdown=version"
    ).get_json()
    totals: dict[str, int] = {}
    for point in series["data"]:
        for version, downloads in point["categories"].items():
            totals[version] = totals.get(version, 0) + downloads
    top = max(totals, key=totals.get)
    last = series["data"][-1]

    assert top == "2.9.0"
    assert last_values(root) == {top: last["categories"][top], "other": last["downloads"] - last["categories"][top]}
    assert "by version" in root.find(f"{SVG_NS}desc").text


def test_a_comparison_chart_draws_one_line_per_project(api_client):
    root = svg_root(api_client.get("/chart/compare.svg?projects=other,demo-pkg&period=30d&mirrors=false"))
    other = api_client.get("/api/v3/projects/other/downloads?mirrors=false").get_json()
    demo = api_client.get("/api/v3/projects/demo-pkg/downloads?mirrors=false").get_json()

    assert root.find(f"{SVG_NS}title").text == "other vs demo-pkg · downloads"
    assert last_values(root) == {"other": other["data"][-1]["downloads"], "demo-pkg": demo["data"][-1]["downloads"]}


@pytest.mark.parametrize("url", ["/chart/demo-pkg.png", "/chart/compare.png?projects=demo-pkg,other&theme=dark"])
def test_link_previews_are_pngs_of_the_same_drawing(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(PNG_SIGNATURE)
    # The PNG's width and height, from its IHDR chunk.
    assert (int.from_bytes(response.data[16:20], "big"), int.from_bytes(response.data[20:24], "big")) == (800, 400)


def test_charts_are_cached_like_badges_and_not_rate_limited(api_client):
    first = api_client.get("/chart/demo-pkg.svg")
    again = api_client.get("/chart/demo-pkg.svg", headers={"If-None-Match": first.headers["ETag"]})

    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "RateLimit-Limit" not in first.headers
    assert again.status_code == 304


def test_a_project_named_compare_is_reached_by_another_spelling(api_client):
    root = svg_root(api_client.get("/chart/Compare.svg"), 404)
    assert root.find(f"{SVG_NS}title").text == "not found: compare"


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/chart/nothing-here.svg", 404, "not found: nothing-here"),
        ("/chart/-bad-.svg", 400, "invalid project name"),
        ("/chart/demo-pkg.svg?period=2w", 400, "invalid period: "),
        ("/chart/demo-pkg.svg?period=30d&start=2026-11-01", 400, "invalid period: "),
        ("/chart/demo-pkg.svg?granularity=hour", 400, "invalid granularity: "),
        ("/chart/demo-pkg.svg?breakdown=colour", 400, "invalid breakdown: "),
        ("/chart/demo-pkg.svg?top=0", 400, "invalid top: "),
        ("/chart/demo-pkg.svg?theme=pink", 400, "invalid theme: "),
        ("/chart/demo-pkg.svg?width=99999", 400, "invalid width: "),
        ("/chart/demo-pkg.svg?height=10", 400, "invalid height: "),
        ("/chart/demo-pkg.svg?start=2026-13-01", 400, "invalid start: "),
        ("/chart/demo-pkg.svg?end=2030-01-01", 400, "invalid end: "),
        ("/chart/demo-pkg.svg?mirrors=false&breakdown=mirrors", 400, "invalid mirrors: "),
        ("/chart/compare.svg", 400, "invalid projects: "),
        ("/chart/compare.svg?projects=demo-pkg,nothing-here", 404, "not found: nothing-here"),
        ("/chart/compare.svg?projects=a,b,c,d,e,f,g,h,i,j,k", 400, "invalid projects: "),
    ],
)
def test_every_error_is_an_svg_that_says_what_is_wrong(api_client, url, status, message):
    assert svg_root(api_client.get(url), status).find(f"{SVG_NS}title").text.startswith(message)


def test_a_png_error_is_a_png_with_the_status(api_client):
    response = api_client.get("/chart/nothing-here.png")
    assert (response.status_code, response.mimetype) == (404, "image/png")
    assert response.data.startswith(PNG_SIGNATURE)


def fuzzed_value(rng: random.Random) -> str:
    alphabet = string.printable + "<>&\"'\u00e9\u4e2d\U0001f600\x00\x7f"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


def test_fuzzed_parameters_never_break_a_chart(api_client):
    rng = random.Random(13)
    names = ["period", "start", "end", "granularity", "breakdown", "top", "mirrors", "theme", "width", "height"]
    for _ in range(150):
        query = "&".join(f"{quote(rng.choice(names))}={quote(fuzzed_value(rng))}" for _ in range(rng.randint(1, 4)))
        path = rng.choice(
            ["/chart/demo-pkg.svg", f"/chart/{quote(fuzzed_value(rng), safe='')}.svg", "/chart/compare.svg"]
        )
        url = f"{path}?{query}" + ("&projects=" + quote(fuzzed_value(rng)) if "compare" in path else "")
        response = api_client.get(url)
        assert response.status_code in (200, 400, 404), url
        if response.mimetype == "image/svg+xml":
            body = response.get_data(as_text=True)
            ET.fromstring(body)
            assert "<script" not in body.lower() and "href" not in body


def test_the_comparison_api_answers_each_projects_own_series(api_client):
    options = "start=2026-11-01&granularity=week&breakdown=version"
    found = api_client.get(f"/api/v3/compare?projects=Demo.Pkg,other&{options}").get_json()

    assert found["projects"] == ["demo-pkg", "other"]
    assert (found["start"], found["end"], found["granularity"], found["breakdown"]) == (
        "2026-11-01",
        str(LAST_DAY),
        "week",
        "version",
    )
    for entry in found["series"]:
        own = api_client.get(f"/api/v3/projects/{entry['project']}/downloads?{options}").get_json()
        assert entry["data"] == own["data"]


def test_the_comparison_api_in_csv_has_a_project_column(api_client):
    response = api_client.get("/api/v3/compare?projects=demo-pkg,other&start=2026-11-19&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    assert response.mimetype == "text/csv"
    assert [(r["project"], r["period"], r["downloads"]) for r in rows] == [
        ("demo-pkg", "2026-11-19", "5"),
        ("demo-pkg", "2026-11-20", "11"),
        ("other", "2026-11-19", "0"),
        ("other", "2026-11-20", "100"),
    ]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/v3/compare", 400, "projects"),
        ("/api/v3/compare?projects=demo-pkg,Demo_Pkg", 400, "projects"),
        ("/api/v3/compare?projects=demo-pkg&granularity=year", 400, "granularity"),
        ("/api/v3/compare?projects=demo-pkg,nothing-here", 404, None),
    ],
)
def test_the_comparison_api_refuses_with_json(api_client, url, status, parameter):
    response = api_client.get(url)
    assert response.status_code == status and response.mimetype == "application/json"
    if parameter:
        assert response.get_json()["message"].startswith(f"{parameter}: ")
