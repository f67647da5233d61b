"""Every error as JSON {"error": status, "message": ...}; nothing a client sends becomes a 500."""

from __future__ import annotations

import logging

import psycopg2.extensions
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from pepy.domain.errors import DomainError, ProjectNotFound
from pepy.infrastructure.postgres.pool import DatabaseUnavailable

log = logging.getLogger(__name__)


def json_error(status: int, message: str):
    """A JSON error response with the given status."""
    response = jsonify(error=status, message=message)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Map domain, HTTP, database and unexpected errors to JSON answers."""

    @app.errorhandler(ProjectNotFound)
    def not_found(error: ProjectNotFound):
        return json_error(404, str(error))

    @app.errorhandler(DomainError)
    def bad_request(error: DomainError):
        return json_error(400, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = json_error(error.code or 500, error.description or error.name)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(error: DatabaseUnavailable):
        log.warning("database unavailable", extra={"reason": str(error)})
        response = json_error(503, "The database is unavailable; try again shortly")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(psycopg2.extensions.QueryCanceledError)
    def query_timeout(error):
        log.warning("read statement timed out", extra={"reason": str(error).strip()})
        return json_error(503, "The query took too long; try a shorter range or try again shortly")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error")
        return json_error(500, "Internal server error")
