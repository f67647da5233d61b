"""Every error as JSON {"error": status, "message": ...} for programs, or as an HTML page for people (on the
site's paths); nothing a client sends becomes a 500."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable, DomainError, ProjectNotFound, RankingUnavailable

log = logging.getLogger(__name__)

blueprint = Blueprint("errors", __name__)

# What programs read: their errors are JSON (badges and charts draw theirs). Every other path is the site's.
MACHINE_PREFIXES = (
    "/api/",
    "/service-api/",
    "/badge/",
    "/personalized-badge/",
    "/chart/",
    "/health-check",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/static/",
)
PAGE_TITLES = {
    400: "Invalid request",
    404: "Not found",
    405: "Method not allowed",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Unavailable",
}


def json_error(status: int, message: str):
    """A JSON error response with the given status."""
    response = jsonify(error=status, message=message)
    response.status_code = status
    return response


def error_response(status: int, message: str):
    """The error as an HTML page on the site's paths, as JSON elsewhere."""
    if request.path.startswith(MACHINE_PREFIXES):
        return json_error(status, message)
    page = render_template("error.html", status=status, title=PAGE_TITLES.get(status, "Error"), message=message)
    return current_app.response_class(page, status=status, mimetype="text/html")


@blueprint.app_errorhandler(ProjectNotFound)
def not_found(error: ProjectNotFound):
    """404: no downloads are stored for the project."""
    return error_response(404, str(error))


@blueprint.app_errorhandler(DomainError)
def bad_request(error: DomainError):
    """400: the request broke a rule; the message says which."""
    return error_response(400, str(error))


@blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Werkzeug's own errors (404 route, 405 method, ...) in the same JSON shape."""
    response = error_response(error.code or 500, error.description or error.name)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@blueprint.app_errorhandler(DatabaseUnavailable)
def database_unavailable(error: DatabaseUnavailable):
    """503 with Retry-After: the database does not answer."""
    log.warning("database unavailable", extra={"reason": str(error)})
    response = error_response(503, "The database is unavailable; try again shortly")
    response.headers["Retry-After"] = "5"
    return response


@blueprint.app_errorhandler(DatabaseTimeout)
def database_timeout(error: DatabaseTimeout):
    """503: the read ran past its statement timeout."""
    log.warning("read statement timed out", extra={"reason": str(error)})
    return error_response(503, "The query took too long; try a shorter range or try again shortly")


@blueprint.app_errorhandler(RankingUnavailable)
def ranking_unavailable(error: RankingUnavailable):
    """503: the ranking cannot be answered until an import run (or `pepy db upgrade`) builds it; the message says
    why."""
    return json_error(503, str(error))


@blueprint.app_errorhandler(Exception)
def unexpected(error: Exception):
    """500, logged with its traceback: a bug, never something a client sent."""
    log.exception("unhandled error")
    return error_response(500, "Internal server error")
