"""The site: server-rendered pages for people (home and search, a project, a comparison), working without script.

Each view parses the query string, calls query handlers and renders a template of `templates/`; what the
templates are given is shaped in `pages_content.py`. Errors on these paths are HTML pages (errors.py).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, render_template, request, send_from_directory, url_for

from pepy.application.queries.charts import (
    DEFAULT_PERIOD,
    PERIODS,
    ChartRange,
    GetComparisonChart,
    GetComparisonChartHandler,
    GetProjectChart,
)
from pepy.application.queries.pages import GetProjectPage, GetProjectPageHandler
from pepy.application.queries.rankings import GetTrendingProjects, GetTrendingProjectsHandler
from pepy.application.queries.v3 import (
    SERIES_BREAKDOWNS,
    GetTopProjects,
    GetTopProjectsHandler,
    SearchProjects,
    SearchProjectsHandler,
    series_breakdown,
)
from pepy.domain.errors import RankingUnavailable
from pepy.domain.read_models import Granularity
from pepy.infrastructure.api import params
from pepy.infrastructure.api.caching import cached
from pepy.infrastructure.api.pages_content import (
    Ranking,
    chart_picture,
    chart_table,
    embed_snippets,
    option_links,
    summary_rows,
)
from pepy.infrastructure.container import Container

STATIC = Path(__file__).resolve().parent / "static"
# Stylesheet and script change only with a release, whose URLs carry their digest.
ASSET_MAX_AGE = 86400
HOME_TOP = 10
SEARCH_LIMIT = 20

blueprint = Blueprint("pages", __name__, template_folder="templates")


@blueprint.record_once
def trim_template_whitespace(state) -> None:
    """Leave out the lines that hold only a template's block tags."""
    state.app.jinja_env.trim_blocks = True
    state.app.jinja_env.lstrip_blocks = True


@inject
def site_url(public_url: str | None = Provide[Container.config.public_url]) -> str:
    """The origin the pages' absolute links (link previews, snippets to copy) start with: PEPY_PUBLIC_URL, else
    the request's own. It is also the pages' cache variant, so that an answer built for one Host header is
    never served to another."""
    return public_url or request.host_url.rstrip("/")


@functools.cache
def _digest(filename: str) -> str:
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


@blueprint.app_template_global()
def asset(filename: str) -> str:
    """The URL of one of the site's static files, named by its content so that a release's copy is fetched anew."""
    return url_for("pages.static_file", filename=filename, v=_digest(filename))


@blueprint.app_template_filter()
def thousands(value: int) -> str:
    """A download count with thousands separators."""
    return f"{value:,}"


@blueprint.get("/static/<path:filename>")
def static_file(filename: str):
    """The site's stylesheet, script and icon; anything else is a 404."""
    return send_from_directory(STATIC, filename, max_age=ASSET_MAX_AGE)


def _chart_options() -> dict[str, str | None]:
    """The chart's range and points as asked (None: the chart's default points)."""
    return {
        "period": params.choice("period", PERIODS, DEFAULT_PERIOD),
        "granularity": params.choice("granularity", tuple(Granularity)),
    }


def _granularity(chosen: dict[str, str | None]) -> Granularity | None:
    return None if chosen["granularity"] is None else Granularity(chosen["granularity"])


@blueprint.get("/")
@cached(variant=site_url)
@inject
def home(
    get_top: GetTopProjectsHandler = Provide[Container.get_top_projects],
    get_trending: GetTrendingProjectsHandler = Provide[Container.get_trending_projects],
):
    """The search form and the rankings."""
    top = get_top(GetTopProjects("month", HOME_TOP))
    rankings = [
        Ranking(
            "Most downloaded",
            f"Downloads over the last 30 days, {top.start} to {top.end}",
            "Downloads",
            [(p.name, f"{p.downloads:,}") for p in top.projects],
        ),
        _trending(get_trending),
    ]
    return render_template("home.html", rankings=rankings, site=site_url())


def _trending(get_trending: GetTrendingProjectsHandler) -> Ranking:
    """The week's trending projects, or why there are none to show (not built yet, or days missing)."""
    title = "Trending this week"
    try:
        trending = get_trending(GetTrendingProjects("week", HOME_TOP))
    except RankingUnavailable as why:
        return Ranking(title, "Growth against the week before", "Downloads", [], note=str(why))
    caption = (
        f"Downloads from {trending.start} to {trending.end} against {trending.previous_start} to "
        f"{trending.previous_end}, fastest growing first"
    )
    rows = [(p.name, f"{p.downloads:,} (from {p.previous_downloads:,})") for p in trending.projects]
    return Ranking(title, caption, "Downloads (week before)", rows, note="No project grew enough to show.")


@blueprint.get("/search")
@cached(variant=site_url)
@inject
def search(search_projects: SearchProjectsHandler = Provide[Container.search_projects]):
    """Projects whose name starts with `q`; without `q`, the form alone."""
    prefix = params.text("q", "")
    found = search_projects(SearchProjects(prefix, SEARCH_LIMIT)) if prefix else None
    return render_template("search.html", prefix=prefix, found=found, limit=SEARCH_LIMIT)


@blueprint.get("/projects/<name:name>")
@cached(variant=site_url)
@inject
def project(name: str, get_page: GetProjectPageHandler = Provide[Container.get_project_page]):
    """A project's downloads: recent and all-time sums, the chart and its table, versions, and snippets to embed."""
    chosen = _chart_options() | {"breakdown": params.choice("breakdown", SERIES_BREAKDOWNS)}
    query = GetProjectChart(
        name, ChartRange(period=chosen["period"]), _granularity(chosen), series_breakdown(chosen["breakdown"])
    )
    page = get_page(GetProjectPage(query))
    site = site_url()
    return render_template(
        "project.html",
        page=page,
        site=site,
        summary=summary_rows(page),
        options=option_links("pages.project", chosen, name=page.name),
        picture=chart_picture("charts.project_svg", page.chart, name=page.name, **_given(chosen)),
        table=chart_table(page.chart),
        snippets=embed_snippets(site, page.name, _given(chosen)),
    )


@blueprint.get("/compare")
@cached(variant=site_url)
@inject
def compare(get_chart: GetComparisonChartHandler = Provide[Container.get_comparison_chart]):
    """Several projects' downloads: the comparison chart and its table, and a form to change the list."""
    names = params.names("projects")
    options = _chart_options()
    if not names:
        return render_template("compare.html", chart=None, projects="")
    chart = get_chart(GetComparisonChart(names, ChartRange(period=options["period"]), _granularity(options)))
    # The names as found (normalised), in the links and the form.
    names = [line.label for line in chart.lines]
    chosen = {"projects": ",".join(names)} | options
    return render_template(
        "compare.html",
        chart=chart,
        projects=", ".join(names),
        listed=chosen["projects"],
        site=site_url(),
        options=option_links("pages.compare", chosen),
        picture=chart_picture("charts.comparison_svg", chart, **_given(chosen)),
        table=chart_table(chart),
    )


def _given(chosen: dict[str, str | None]) -> dict[str, str]:
    return {key: value for key, value in chosen.items() if value is not None}
