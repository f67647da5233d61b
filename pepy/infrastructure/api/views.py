"""The health check and pepy.tech's v2 project endpoint."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, jsonify

from pepy.application.queries import CheckHealth, CheckHealthHandler, GetProject, GetProjectHandler
from pepy.infrastructure.api.errors import json_error
from pepy.infrastructure.container import Container

blueprint = Blueprint("pepy", __name__)


@blueprint.get("/health-check")
@inject
def health_check(check_health: CheckHealthHandler = Provide[Container.check_health]):
    """200 when the database answers, 503 otherwise."""
    if check_health(CheckHealth()):
        return jsonify(status="healthy")
    return json_error(503, "The database does not answer")


@blueprint.get("/api/v2/projects/<name:name>")
@inject
def project_v2(name: str, get_project: GetProjectHandler = Provide[Container.get_project]):
    """pepy.tech's v2 shape: total, versions in PEP 440 order, per-day per-version downloads."""
    project = get_project(GetProject(name))
    return jsonify(
        id=project.name,
        total_downloads=project.total_downloads,
        versions=project.versions,
        downloads={day.isoformat(): project.downloads[day] for day in sorted(project.downloads)},
    )
