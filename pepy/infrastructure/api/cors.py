"""CORS in-process: an allowlist of origins (PEPY_CORS_ORIGINS); `*` opens the public reads to every site.

Views marked private (the admin endpoint) are shared only with origins listed by name, never through `*`.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState

from pepy.infrastructure.container import Container

ALLOWED_HEADERS = "Accept, If-None-Match, If-Modified-Since, X-API-Key"
EXPOSED_HEADERS = "ETag, Last-Modified, Retry-After, X-API-Key-Status"
PREFLIGHT_MAX_AGE = 86400

blueprint = Blueprint("cors", __name__)


def mark_private(view):
    """Mark a view as one that `*` does not share."""
    view.cors_private = True
    return view


@blueprint.record_once
@inject
def install_origins(state: BlueprintSetupState, origins: frozenset[str] = Provide[Container.cors_origins]) -> None:
    """Give the app its allowed origins, taken from the container once rather than injected into every answer."""
    state.app.extensions["pepy_cors_origins"] = origins


@blueprint.after_app_request
def add_cors_headers(response):
    """Answer CORS on every response, preflights included."""
    origin = request.headers.get("Origin")
    if not origin:
        return response
    origins = current_app.extensions["pepy_cors_origins"]
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    private = getattr(view, "cors_private", False)
    if origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    elif "*" in origins and not private:
        response.headers["Access-Control-Allow-Origin"] = "*"
    else:
        return response
    if private:
        response.vary.add("Origin")
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    else:
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
