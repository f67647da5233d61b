"""Download charts to embed: SVG for READMEs and pages, PNG for link previews; every answer, errors included, is
an image."""

from __future__ import annotations

import logging

import resvg_py
from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app

from pepy.application.queries.charts import (
    PERIODS,
    ChartRange,
    GetComparisonChart,
    GetComparisonChartHandler,
    GetProjectChart,
    GetProjectChartHandler,
)
from pepy.application.queries.common import InvalidParameter
from pepy.application.queries.v3 import SERIES_BREAKDOWNS, series_breakdown
from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable, DomainError, InvalidProjectName, ProjectNotFound
from pepy.domain.read_models import Granularity
from pepy.infrastructure.api import params
from pepy.infrastructure.api.caching import cached
from pepy.infrastructure.api.chart_svg import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_HEIGHT,
    MIN_WIDTH,
    THEMES,
    ChartLook,
    render,
    render_message,
)
from pepy.infrastructure.container import Container

blueprint = Blueprint("charts", __name__)
log = logging.getLogger(__name__)

SVG = "image/svg+xml"
PNG = "image/png"
# A link preview has no colour scheme to follow: its PNG is drawn light unless asked otherwise.
PNG_DEFAULT_THEME = "light"


def _look(default_theme: str) -> ChartLook:
    """The theme and size asked for; a size outside the bounds is an InvalidParameter."""
    theme = params.choice("theme", THEMES, default_theme)
    width = params.integer("width", DEFAULT_WIDTH)
    height = params.integer("height", DEFAULT_HEIGHT)
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise InvalidParameter("width", f"must be between {MIN_WIDTH} and {MAX_WIDTH}, not {width}")
    if not MIN_HEIGHT <= height <= MAX_HEIGHT:
        raise InvalidParameter("height", f"must be between {MIN_HEIGHT} and {MAX_HEIGHT}, not {height}")
    return ChartLook(theme, width, height)


def _range() -> ChartRange:
    return ChartRange(params.day("start"), params.day("end"), params.choice("period", PERIODS))


def _granularity() -> Granularity | None:
    chosen = params.choice("granularity", tuple(Granularity))
    return None if chosen is None else Granularity(chosen)


def _image(draw, png: bool):
    """Run `draw(look)` into an SVG, or an SVG that says what is wrong with the status it deserves; as PNG if
    asked."""
    look = ChartLook(PNG_DEFAULT_THEME if png else "auto", DEFAULT_WIDTH, DEFAULT_HEIGHT)
    try:
        look = _look(look.theme)
        body, status = draw(look), 200
    except ProjectNotFound as error:
        body, status = render_message(f"not found: {error.name}", look), 404
    except InvalidProjectName:
        body, status = render_message("invalid project name", look), 400
    except InvalidParameter as error:
        body, status = render_message(f"invalid {error}", look), 400
    except DomainError as error:
        body, status = render_message(f"invalid request: {error}", look), 400
    except (DatabaseUnavailable, DatabaseTimeout) as error:
        log.warning("chart unavailable", extra={"reason": str(error)})
        body, status = render_message("downloads unavailable, try again later", look), 503
    if png:
        return current_app.response_class(bytes(resvg_py.svg_to_bytes(svg_string=body)), status=status, mimetype=PNG)
    return current_app.response_class(body, status=status, mimetype=SVG)


def _project_chart(get_chart: GetProjectChartHandler, name: str, png: bool):
    def draw(look: ChartLook) -> str:
        query = GetProjectChart(
            name=name,
            range=_range(),
            granularity=_granularity(),
            breakdown=series_breakdown(params.choice("breakdown", SERIES_BREAKDOWNS)),
            top=params.integer("top", GetProjectChart.top),
            mirrors=params.boolean("mirrors", True),
        )
        return render(get_chart(query), look)

    return _image(draw, png)


def _comparison_chart(get_chart: GetComparisonChartHandler, png: bool):
    def draw(look: ChartLook) -> str:
        query = GetComparisonChart(params.names("projects"), _range(), _granularity(), params.boolean("mirrors", True))
        return render(get_chart(query), look)

    return _image(draw, png)


@blueprint.get("/chart/compare.svg")
@cached()
@inject
def comparison_svg(get_chart: GetComparisonChartHandler = Provide[Container.get_comparison_chart]):
    """Several projects' downloads, one line each."""
    return _comparison_chart(get_chart, png=False)


@blueprint.get("/chart/compare.png")
@cached()
@inject
def comparison_png(get_chart: GetComparisonChartHandler = Provide[Container.get_comparison_chart]):
    """The comparison chart as a PNG, for link previews."""
    return _comparison_chart(get_chart, png=True)


@blueprint.get("/chart/<name:name>.svg")
@cached()
@inject
def project_svg(name: str, get_chart: GetProjectChartHandler = Provide[Container.get_project_chart]):
    """A project's downloads over a range, optionally as its top categories of a breakdown plus "other"."""
    return _project_chart(get_chart, name, png=False)


@blueprint.get("/chart/<name:name>.png")
@cached()
@inject
def project_png(name: str, get_chart: GetProjectChartHandler = Provide[Container.get_project_chart]):
    """The project's chart as a PNG, for link previews (Open Graph)."""
    return _project_chart(get_chart, name, png=True)
