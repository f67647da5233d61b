"""The rankings as API, /api/v3: the top-pypi-packages list, in the format tools already read, and trending."""

from __future__ import annotations

import json
from datetime import UTC

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app, jsonify

from pepy.application.queries.rankings import (
    GetTopPackages,
    GetTopPackagesHandler,
    GetTrendingProjects,
    GetTrendingProjectsHandler,
)
from pepy.domain.rankings import TOP_LIST_SIZE
from pepy.infrastructure.api import params
from pepy.infrastructure.api.caching import cached, provisional
from pepy.infrastructure.container import Container

blueprint = Blueprint("rankings", __name__)

DEFAULT_TRENDING_LIMIT = 10


@blueprint.get("/api/v3/top-pypi-packages.json")
@blueprint.get("/api/v3/top-pypi-packages.min.json")
@cached()
@inject
def top_pypi_packages(get_top: GetTopPackagesHandler = Provide[Container.get_top_packages]):
    """The most downloaded projects of the last 30 or 365 days as hugovk's top-pypi-packages files have them:
    compact JSON under both names, keys in the files' order."""
    top = get_top(GetTopPackages(params.integer("days", 30), params.integer("limit", TOP_LIST_SIZE)))
    body = {
        "last_update": top.last_update.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "rows": [{"download_count": p.downloads, "project": p.name} for p in top.projects],
    }
    response = current_app.response_class(json.dumps(body, separators=(",", ":")), mimetype="application/json")
    return response if top.current else provisional(response)


@blueprint.get("/api/v3/trending")
@cached()
@inject
def trending(get_trending: GetTrendingProjectsHandler = Provide[Container.get_trending_projects]):
    """The projects whose downloads grew the most over the last week or month against the one before."""
    period = params.choice("period", ("week", "month"), "week")
    found = get_trending(GetTrendingProjects(period, params.integer("limit", DEFAULT_TRENDING_LIMIT)))
    response = jsonify(
        period=found.period,
        start=found.start.isoformat(),
        end=found.end.isoformat(),
        previous_start=found.previous_start.isoformat(),
        previous_end=found.previous_end.isoformat(),
        projects=[
            {"name": p.name, "downloads": p.downloads, "previous_downloads": p.previous_downloads, "growth": p.growth}
            for p in found.projects
        ],
    )
    return response if found.current else provisional(response)
