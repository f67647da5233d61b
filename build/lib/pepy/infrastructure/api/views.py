"""The health check and pepy.tech's project endpoints: v1, v2 and admin."""

from __future__ import annotations

import json

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app, jsonify

from pepy.application.queries.common import CheckHealth, CheckHealthHandler
from pepy.application.queries.pepy_tech import (
    GetDailyDownloads,
    GetDailyDownloadsHandler,
    GetProject,
    GetProjectHandler,
)
from pepy.domain.access import ADMIN
from pepy.infrastructure.api.caching import cached
from pepy.infrastructure.api.errors import json_error
from pepy.infrastructure.api.scopes import requires_scope
from pepy.infrastructure.container import Container

blueprint = Blueprint("pepy", __name__)


@blueprint.get("/health-check")
@inject
def health_check(check_health: CheckHealthHandler = Provide[Container.check_health]):
    """200 when the database answers, 503 otherwise."""
    if check_health(CheckHealth()):
        return jsonify(status="healthy")
    return json_error(503, "The database does not answer")


def _v2_body(get_project: GetProjectHandler, query: GetProject):
    # Spliced as text: the store has already built the (possibly very large) downloads object.
    project = get_project(query)
    body = (
        f'{{"id":{json.dumps(project.name)},"total_downloads":{project.total_downloads},'
        f'"versions":{json.dumps(project.versions, separators=(",", ":"))},"downloads":{project.downloads_json}}}'
    )
    return current_app.response_class(body, mimetype="application/json")


@blueprint.get("/api/v2/projects/<name:name>")
@cached()
@inject
def project_v2(name: str, get_project: GetProjectHandler = Provide[Container.get_project]):
    """pepy.tech's v2 shape: total, versions in PEP 440 order, per-day per-version downloads."""
    return _v2_body(get_project, GetProject(name))


@blueprint.get("/api/projects/<name:name>")
@blueprint.get("/api/v1/projects/<name:name>")
@cached()
@inject
def project_v1(name: str, get_daily: GetDailyDownloadsHandler = Provide[Container.get_daily_downloads]):
    """pepy.tech's v1 shape: total and per-day totals (summed over versions) of the last 30 days."""
    project = get_daily(GetDailyDownloads(name))
    return jsonify(
        id=project.name,
        total_downloads=project.total_downloads,
        downloads={day.day.isoformat(): day.downloads for day in project.days},
    )


@blueprint.get("/api/v1/admin/projects/<name:name>")
@requires_scope(ADMIN)
@inject
def project_admin(name: str, get_project: GetProjectHandler = Provide[Container.get_project]):
    """The v2 shape over every stored day; admin only."""
    return _v2_body(get_project, GetProject(name, all_days=True))
