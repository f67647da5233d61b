"""Chart drawing: round ticks, dated axes, well-formed and self-contained SVG, escaping, themes and the size bound."""

import random
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from pepy.application.queries.charts import MAX_TOP, Chart, ChartLine
from pepy.application.queries.common import MAX_SERIES_DAYS
from pepy.domain.downloads import Breakdown
from pepy.domain.read_models import Granularity
from pepy.infrastructure.api.chart_svg import (
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_HEIGHT,
    MIN_WIDTH,
    ChartLook,
    date_ticks,
    describe,
    nice_ticks,
    render,
    render_message,
    tick_label,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>&\"' ]]> xlink:href=http://x"


def make_chart(lines: int, days: int, granularity=Granularity.DAY, top=10**6, label="2.{}.0", seed=1) -> Chart:
    rng = random.Random(seed)
    first = date(2026, 11, 20) - timedelta(days=days - 1)
    dates = [first + timedelta(days=n) for n in range(days)]
    drawn = [ChartLine(label.format(i), [rng.randint(0, top) for _ in dates]) for i in range(lines)]
    breakdown = Breakdown.VERSION if lines > 1 else None
    return Chart("demo-pkg", first, dates[-1], granularity, breakdown, True, dates, [False] * days, drawn)


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    return root


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (3, [0, 1, 2, 3]),
        (97, [0, 20, 40, 60, 80, 100]),
        (1_180_000, [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]),
        (9_999_999_999, [0, 2 * 10**9, 4 * 10**9, 6 * 10**9, 8 * 10**9, 10**10]),
    ],
)
def test_y_ticks_are_round_and_reach_past_the_top(top, ticks):
    assert nice_ticks(top) == ticks


def test_tick_labels_are_short():
    labels = [tick_label(v) for v in (0, 250, 1500, 250_000, 1_250_000, 2 * 10**9)]
    assert labels == ["0", "250", "1.5k", "250k", "1.25M", "2B"]


def test_date_ticks_fall_on_calendar_boundaries_and_fit():
    weekly = date_ticks(date(2026, 8, 23), date(2026, 11, 20), 10)
    assert all(day.weekday() == 0 for day, _ in weekly) and len(weekly) <= 10
    assert weekly[0] == (date(2026, 8, 24), "Aug 24")
    monthly = date_ticks(date(2025, 11, 21), date(2026, 11, 20), 10)
    assert [label for _, label in monthly] == [
        "Jan 2026",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
    ][: len(monthly)] or monthly
    assert all(day.day == 1 for day, _ in monthly) and len(monthly) <= 10
    yearly = date_ticks(date(2016, 1, 1), date(2026, 11, 20), 8)
    assert [label for _, label in yearly] == ["2016", "2018", "2020", "2022", "2024", "2026"]


@pytest.mark.parametrize("theme", ["light", "dark", "auto"])
@pytest.mark.parametrize(("lines", "days"), [(1, 1), (1, 30), (6, 90), (MAX_TOP + 1, 365)])
def test_a_chart_is_well_formed_self_contained_and_described(theme, lines, days):
    chart = make_chart(lines, days)
    svg = render(chart, ChartLook(theme))
    root = parsed(svg)

    assert root.find(f"{SVG_NS}title").text == "demo-pkg · downloads"
    assert root.find(f"{SVG_NS}desc").text == describe(chart)
    assert root.get("role") == "img"
    assert len(root.findall(f"{SVG_NS}path[@class]")) >= lines
    assert not re.search(r"<script|href|url\(|@import|<image|<foreignObject|javascript:", svg, re.IGNORECASE)
    assert ("prefers-color-scheme" in svg) == (theme == "auto")


def test_every_name_is_escaped():
    chart = make_chart(3, 10, label=HOSTILE + "{}")
    chart = Chart(
        HOSTILE,
        *[getattr(chart, f) for f in ("start", "end", "granularity", "breakdown", "mirrors")],
        chart.days,
        chart.partial,
        chart.lines,
    )
    svg = render(chart, ChartLook())
    root = parsed(svg)

    assert "<script" not in svg
    assert root.find(f"{SVG_NS}title").text == f"{HOSTILE} · downloads"
    assert any(HOSTILE in (t.text or "") for t in root.iter(f"{SVG_NS}text"))


def test_the_largest_chart_allowed_stays_under_100_kB():
    chart = make_chart(MAX_TOP + 1, MAX_SERIES_DAYS, top=10**12, label="a-rather-long-version-name-{}.0.0.dev0")
    svg = render(chart, ChartLook("auto", MAX_WIDTH, MAX_HEIGHT))
    parsed(svg)
    assert len(svg.encode()) < 100_000


@pytest.mark.parametrize(
    ("width", "height"), [(MIN_WIDTH, MIN_HEIGHT), (MAX_WIDTH, MIN_HEIGHT), (MIN_WIDTH, MAX_HEIGHT)]
)
def test_every_allowed_size_draws_even_with_a_full_legend(width, height):
    root = parsed(
        render(make_chart(MAX_TOP + 1, 90, label="long-long-category-name-{}"), ChartLook("light", width, height))
    )
    assert (root.get("width"), root.get("height")) == (str(width), str(height))


def test_cut_buckets_are_dotted():
    chart = make_chart(1, 5, Granularity.WEEK)
    chart = Chart(
        *[getattr(chart, f) for f in ("title", "start", "end", "granularity", "breakdown", "mirrors", "days")],
        [True, False, False, False, True],
        chart.lines,
    )
    classes = [p.get("class") for p in parsed(render(chart, ChartLook())).iter(f"{SVG_NS}path")]
    assert classes.count("l0 p") == 2 and classes.count("l0") == 1


def test_a_message_is_a_chart_sized_svg():
    root = parsed(render_message(f"not found: {HOSTILE}", ChartLook("dark", 500, 300)))
    assert (root.get("width"), root.get("height")) == ("500", "300")
    assert root.find(f"{SVG_NS}title").text == f"not found: {HOSTILE}"


def test_a_breakdown_with_no_downloads_says_so():
    empty = make_chart(0, 30)
    chart = Chart(
        "demo-pkg", empty.start, empty.end, Granularity.DAY, Breakdown.INSTALLER, True, empty.days, empty.partial, []
    )
    root = parsed(render(chart, ChartLook()))
    assert "no downloads by installer in this range" in [t.text for t in root.iter(f"{SVG_NS}text")]
    assert root.find(f"{SVG_NS}desc").text.endswith("Last values: none.")
