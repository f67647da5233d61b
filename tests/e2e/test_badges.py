"""Badges: SVG that parses, numbers rounded down to three significant figures, escaping, styles and errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pepy.infrastructure.api.badge_svg import STYLES, Badge, format_count, parse_colour, text_width
from tests.e2e.api_support import LAST_MONTH, LAST_WEEK, TOTAL, TOTAL_WITHOUT_MIRRORS

pytestmark = pytest.mark.timeout(60)
SVG_NS = "{http://www.w3.org/2000/svg}"

COUNTS = [0, 999, 1000, 1234, 12345, 999999, 1000000, 1450000, 12345678901]
EXPECTED = {
    "international_system": ["0", "999", "1k", "1.23k", "12.3k", "999k", "1M", "1.45M", "12.3G"],
    "abbreviation": ["0", "999", "1k", "1.23k", "12.3k", "999k", "1M", "1.45M", "12.3B"],
    "none": ["0", "999", "1000", "1234", "12345", "999999", "1000000", "1450000", "12345678901"],
}


@pytest.mark.parametrize("units", list(EXPECTED))
def test_numbers_keep_three_significant_figures_rounded_down(units):
    assert [format_count(n, units) for n in COUNTS] == EXPECTED[units]


def test_past_the_largest_unit_the_whole_part_grows():
    assert format_count(1_234_567_890_123_456_789) == "1234P"
    assert format_count(1_999_999_999_999_999, "abbreviation") == "1.99Q"


def texts(svg: str) -> list[str]:
    """The visible texts of a badge (shadows left out), after parsing it as XML."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    return [t.text for t in root.iter(f"{SVG_NS}text") if t.get("aria-hidden") != "true"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("units", list(EXPECTED))
def test_every_style_and_units_mode_renders_the_text(style, units):
    for count, expected in zip(COUNTS, EXPECTED[units], strict=True):
        svg = Badge("<b>&\"downloads'", format_count(count, units), style=style).render()
        label, message = texts(svg)
        assert message == (expected.upper() if style == "for-the-badge" else expected)
        assert label == ("<B>&\"DOWNLOADS'" if style == "for-the-badge" else "<b>&\"downloads'")
        assert "<b>" not in svg


def test_widths_fit_the_text():
    narrow, wide = Badge("downloads", "1").render(), Badge("downloads", "1.45M WWWW").render()
    assert int(ET.fromstring(wide).get("width")) > int(ET.fromstring(narrow).get("width"))
    assert text_width("iiii") < text_width("mmmm") < text_width("WWWW")
    assert 50 < text_width("downloads") < 70


@pytest.mark.parametrize(
    ("value", "expected"),
    [("red", "#e05d44"), ("Crimson", "#dc143c"), ("4c1", "#44cc11"), ("#ABCDEF", "#abcdef"), ("nope", None)],
)
def test_colours_are_names_or_hex(value, expected):
    assert parse_colour(value) == expected


def badge(client, url: str, status: int = 200) -> tuple[str, str]:
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "image/svg+xml"
    return tuple(texts(response.get_data(as_text=True)))


def test_badges_of_each_period(api_client):
    assert badge(api_client, "/badge/Demo.Pkg") == ("downloads", str(TOTAL))
    assert badge(api_client, "/badge/demo-pkg/month") == ("downloads/month", str(LAST_MONTH))
    assert badge(api_client, "/badge/demo-pkg/week") == ("downloads/week", str(LAST_WEEK))
    assert badge(api_client, "/badge/demo-pkg?mirrors=false") == ("downloads", str(TOTAL_WITHOUT_MIRRORS))
    assert badge(api_client, "/badge/demo-pkg/week?mirrors=false") == ("downloads/week", "16")


def test_personalized_badge_defaults_and_parameters(api_client):
    assert badge(api_client, "/personalized-badge/demo-pkg") == ("downloads/month", str(TOTAL))
    response = api_client.get(
        "/personalized-badge/demo-pkg",
        query_string={
            "period": "week",
            "units": "none",
            "left_color": "black",
            "right_color": "#ff69b4",
            "left_text": "<script>alert(1)</script>",
        },
    )
    svg = response.get_data(as_text=True)
    assert texts(svg) == ["<script>alert(1)</script>", str(LAST_WEEK)]
    assert "<script>" not in svg and 'fill="#ff69b4"' in svg and 'fill="#000000"' in svg
    label, _ = badge(api_client, "/personalized-badge/demo-pkg?style=for-the-badge&left_text=pepy")
    assert label == "PEPY"


@pytest.mark.parametrize(
    ("url", "status", "expected"),
    [
        ("/badge/nothing-here", 404, ("downloads", "not found")),
        ("/badge/nothing-here/week", 404, ("downloads", "not found")),
        ("/personalized-badge/demo-pkg?period=year", 400, ("badge", "invalid period")),
        ("/personalized-badge/demo-pkg?units=metric", 400, ("badge", "invalid units")),
        ("/badge/demo-pkg?style=round", 400, ("badge", "invalid style")),
        ("/badge/demo-pkg?left_color=notacolour", 400, ("badge", "invalid left_color")),
        ("/badge/demo-pkg?right_color=%23ggg", 400, ("badge", "invalid right_color")),
        ("/badge/demo-pkg?mirrors=sometimes", 400, ("badge", "invalid mirrors")),
        ("/badge/demo-pkg?left_text=%01", 400, ("badge", "invalid left_text")),
        ("/badge/-bad-", 400, ("badge", "invalid name")),
    ],
)
def test_errors_are_badges_too(api_client, url, status, expected):
    assert badge(api_client, url, status) == expected
