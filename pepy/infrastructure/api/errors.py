"""Every error as JSON {"error": status, "message": ...}; nothing a client sends becomes a 500."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable, DomainError, ProjectNotFound, RankingUnavailable

log = logging.getLogger(__name__)

blueprint = Blueprint("errors", __name__)


def json_error(status: int, message: str):
    """A JSON error response with the given status."""
    response = jsonify(error=status, message=message)
    response.status_code = status
    return response


@blueprint.app_errorhandler(ProjectNotFound)
def not_found(error: ProjectNotFound):
    """404: no downloads are stored for the project."""
    return json_error(404, str(error))


@blueprint.app_errorhandler(DomainError)
def bad_request(error: DomainError):
    """400: the request broke a rule; the message says which."""
    return json_error(400, str(error))


@blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Werkzeug's own errors (404 route, 405 method, ...) in the same JSON shape."""
    response = json_error(error.code or 500, error.description or error.name)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@blueprint.app_errorhandler(DatabaseUnavailable)
def database_unavailable(error: DatabaseUnavailable):
    """503 with Retry-After: the database does not answer."""
    log.warning("database unavailable", extra={"reason": str(error)})
    response = json_error(503, "The database is unavailable; try again shortly")
    response.headers["Retry-After"] = "5"
    return response


@blueprint.app_errorhandler(DatabaseTimeout)
def database_timeout(error: DatabaseTimeout):
    """503: the read ran past its statement timeout."""
    log.warning("read statement timed out", extra={"reason": str(error)})
    return json_error(503, "The query took too long; try a shorter range or try again shortly")


@blueprint.app_errorhandler(RankingUnavailable)
def ranking_unavailable(error: RankingUnavailable):
    """503: the ranking cannot be answered until an import run (or `pepy db upgrade`) builds it; the message says
    why."""
    return json_error(503, str(error))


@blueprint.app_errorhandler(Exception)
def unexpected(error: Exception):
    """500, logged with its traceback: a bug, never something a client sent."""
    log.exception("unhandled error")
    return json_error(500, "Internal server error")
