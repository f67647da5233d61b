"""pepy's own API, /api/v3: time series over any stored range, project summaries, rankings and search."""

from __future__ import annotations

import csv
import io

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app, jsonify, request

from pepy.application.queries.charts import GetComparison, GetComparisonHandler
from pepy.application.queries.v3 import (
    SERIES_BREAKDOWNS,
    DownloadSeries,
    GetDownloadSeries,
    GetDownloadSeriesHandler,
    GetProjectSummary,
    GetProjectSummaryHandler,
    GetTopProjects,
    GetTopProjectsHandler,
    SearchProjects,
    SearchProjectsHandler,
    series_breakdown,
)
from pepy.domain.read_models import Granularity
from pepy.infrastructure.api import params
from pepy.infrastructure.api.caching import cached
from pepy.infrastructure.container import Container

blueprint = Blueprint("v3", __name__)

CSV = "text/csv"
JSON = "application/json"
DEFAULT_LIMIT = 10


def wants_csv() -> bool:
    """CSV when ?format=csv, or without ?format when the Accept header prefers text/csv to JSON."""
    chosen = params.choice("format", ("json", "csv"))
    if chosen is not None:
        return chosen == "csv"
    return request.accept_mimetypes.best_match([JSON, CSV]) == CSV


def _category(category: str | None) -> str:
    return "null" if category is None else category


def _series_csv(series: list[DownloadSeries], with_project: bool):
    """One row per bucket (and category, with a breakdown); with a `project` column first when comparing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    split = series[0].breakdown is not None
    project = ["project"] if with_project else []
    writer.writerow([*project, "period", "start", "end", "partial", *(["category"] if split else []), "downloads"])
    for one in series:
        lead = [one.name] if with_project else []
        for point in one.points:
            bucket = [*lead, point.period, point.start, point.end, str(point.partial).lower()]
            if split:
                writer.writerows([*bucket, _category(c), n] for c, n in point.categories.items())
            else:
                writer.writerow([*bucket, point.downloads])
    return current_app.response_class(out.getvalue(), mimetype=CSV)


def _points_json(series: DownloadSeries) -> list[dict]:
    data = []
    for point in series.points:
        item = {
            "period": point.period,
            "start": point.start.isoformat(),
            "end": point.end.isoformat(),
            "partial": point.partial,
            "downloads": point.downloads,
        }
        if series.breakdown is not None:
            item["categories"] = {_category(c): n for c, n in point.categories.items()}
        data.append(item)
    return data


def _options_json(series: DownloadSeries) -> dict:
    return {
        "start": series.start.isoformat(),
        "end": series.end.isoformat(),
        "granularity": series.granularity.value,
        "breakdown": series.breakdown,
        "mirrors": series.mirrors,
        "versions": series.versions,
    }


def _series_query(name: str) -> GetDownloadSeries:
    return GetDownloadSeries(
        name=name,
        start=params.day("start"),
        end=params.day("end"),
        granularity=Granularity(params.choice("granularity", tuple(Granularity), "day")),
        breakdown=series_breakdown(params.choice("breakdown", SERIES_BREAKDOWNS)),
        versions=params.text("versions"),
        mirrors=params.boolean("mirrors", True),
    )


@blueprint.get("/api/v3/projects/<name:name>/downloads")
@cached(variant=lambda: CSV if wants_csv() else JSON, vary="Accept")
@inject
def download_series(name: str, get_series: GetDownloadSeriesHandler = Provide[Container.get_download_series]):
    """A time series by day, ISO week or month, optionally split by a breakdown or filtered by versions."""
    as_csv = wants_csv()
    series = get_series(_series_query(name))
    if as_csv:
        return _series_csv([series], with_project=False)
    return jsonify(project=series.name, **_options_json(series), data=_points_json(series))


@blueprint.get("/api/v3/compare")
@cached(variant=lambda: CSV if wants_csv() else JSON, vary="Accept")
@inject
def compare(get_comparison: GetComparisonHandler = Provide[Container.get_comparison]):
    """The series of up to ten projects over the same range and options, in the order asked."""
    as_csv = wants_csv()
    series = get_comparison(GetComparison(params.names("projects"), _series_query("")))
    if as_csv:
        return _series_csv(series, with_project=True)
    return jsonify(
        projects=[one.name for one in series],
        **_options_json(series[0]),
        series=[{"project": one.name, "data": _points_json(one)} for one in series],
    )


@blueprint.get("/api/v3/projects/<name:name>")
@cached()
@inject
def project_summary(name: str, get_summary: GetProjectSummaryHandler = Provide[Container.get_project_summary]):
    """All-time total, the last day, week and month with and without mirrors, top versions, stored days."""
    summary = get_summary(GetProjectSummary(name))
    return jsonify(
        project=summary.name,
        total_downloads=summary.total_downloads,
        first_day=summary.first_day.isoformat() if summary.first_day else None,
        last_day=summary.last_day.isoformat() if summary.last_day else None,
        downloads={
            window: {"with_mirrors": sums.downloads, "without_mirrors": sums.non_mirror_downloads}
            for window, sums in summary.recent.items()
        },
        top_versions=[{"version": v.version, "downloads": v.downloads} for v in summary.top_versions],
    )


@blueprint.get("/api/v3/top")
@cached()
@inject
def top_projects(get_top: GetTopProjectsHandler = Provide[Container.get_top_projects]):
    """The most downloaded projects of the last day, week or month."""
    top = get_top(GetTopProjects(params.choice("period", ("day", "week", "month"), "month"), _limit()))
    return jsonify(
        period=top.period,
        start=top.start.isoformat(),
        end=top.end.isoformat(),
        projects=[{"name": p.name, "downloads": p.downloads} for p in top.projects],
    )


@blueprint.get("/api/v3/search")
@cached()
@inject
def search(search_projects: SearchProjectsHandler = Provide[Container.search_projects]):
    """Projects whose name starts with the (normalised) prefix `q`, most downloaded first."""
    prefix = params.text("q", "")
    found = search_projects(SearchProjects(prefix, _limit()))
    return jsonify(query=prefix, projects=[{"name": p.name, "total_downloads": p.downloads} for p in found])


def _limit() -> int:
    return params.integer("limit", DEFAULT_LIMIT)
