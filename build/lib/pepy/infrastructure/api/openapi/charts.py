"""The OpenAPI paths of the charts: SVG to embed, PNG for link previews; every answer, errors included, is an
image."""

from __future__ import annotations

from pepy.application.queries.charts import DEFAULT_PERIOD, DEFAULT_TOP, MAX_TOP, PERIODS
from pepy.application.queries.v3 import SERIES_BREAKDOWNS
from pepy.infrastructure.api.chart_svg import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_HEIGHT,
    MIN_WIDTH,
    THEMES,
)
from pepy.infrastructure.api.openapi.schema import DAY, MIRRORS, NAME, PROJECTS, STATUS_TEXT, enum, query, svg

_PNG = "image/png"
_RANGE = [
    query(
        "period",
        "A range ending on the last imported day; `all` is the project's stored days",
        enum(*PERIODS, default=DEFAULT_PERIOD),
    ),
    query("start", "The first day (instead of period)", DAY),
    query("end", "The last day (instead of period); defaults to the last imported day", DAY),
    query(
        "granularity",
        "Defaults to day up to 120 days, week up to two years, month beyond",
        enum("day", "week", "month"),
    ),
    query("mirrors", "false: count without mirrors", MIRRORS),
    query("theme", "auto follows the viewer's colour scheme", enum(*THEMES)),
    query(
        "width", "In pixels", {"type": "integer", "minimum": MIN_WIDTH, "maximum": MAX_WIDTH, "default": DEFAULT_WIDTH}
    ),
    query(
        "height",
        "In pixels",
        {"type": "integer", "minimum": MIN_HEIGHT, "maximum": MAX_HEIGHT, "default": DEFAULT_HEIGHT},
    ),
]
_BREAKDOWN = [
    query("breakdown", "Draw the top categories of a breakdown, plus other", enum(*SERIES_BREAKDOWNS)),
    query(
        "top",
        "How many categories to draw",
        {"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": DEFAULT_TOP},
    ),
]


def _image(media: str, description: str) -> dict:
    return {"description": description, "content": {media: {"schema": {"type": "string"}}}}


def _chart(summary: str, parameters: list[dict], media: str) -> dict:
    picture = svg if media == "image/svg+xml" else lambda text: _image(_PNG, text)
    responses = {
        "200": picture("The chart"),
        "304": {"description": STATUS_TEXT[304]},
        "400": picture("An image naming the invalid parameter"),
        "404": picture("An image naming the project that is not found"),
        "503": picture("An image saying the downloads are unavailable"),
    }
    return {"get": {"summary": summary, "tags": ["charts"], "parameters": parameters, "responses": responses}}


def chart_paths() -> dict:
    """The family's paths, in the document's order."""
    return {
        "/chart/{name}.svg": _chart(
            "A project's downloads as an SVG chart to embed", [NAME, *_RANGE, *_BREAKDOWN], "image/svg+xml"
        ),
        "/chart/{name}.png": _chart(
            "The project's chart as a PNG, for link previews", [NAME, *_RANGE, *_BREAKDOWN], _PNG
        ),
        "/chart/compare.svg": _chart(
            "Several projects' downloads, one line each", [PROJECTS, *_RANGE], "image/svg+xml"
        ),
        "/chart/compare.png": _chart("The comparison chart as a PNG", [PROJECTS, *_RANGE], _PNG),
    }
