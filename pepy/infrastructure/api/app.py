"""The Flask application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import PathConverter

from pepy.infrastructure.api import badges, docs, limits, observability, pypistats, request_log, v3, views
from pepy.infrastructure.api.caching import AnswerCache
from pepy.infrastructure.api.cors import parse_origins, register_cors
from pepy.infrastructure.api.errors import register_error_handlers
from pepy.infrastructure.container import Container

# Every API module; the app registers each one's blueprint. The request log comes first, so that its timer starts
# before every other hook of a request and stops after them.
API_MODULES = (request_log, views, badges, pypistats, v3, docs)


class NameConverter(PathConverter):
    """Any text after the slash, control characters included, so the view can refuse it with a 400."""

    regex = r"[^/][\s\S]*?"


def create_app(container: Container) -> Flask:
    """A Flask app whose views get their handlers from the container."""
    # No static folder: Swagger UI's assets are served by the docs blueprint, from their package.
    app = Flask("pepy", static_folder=None)
    app.url_map.converters["name"] = NameConverter
    app.container = container
    app.json.sort_keys = False
    app.extensions["pepy_answers"] = AnswerCache()
    container.wire(modules=list(API_MODULES))
    for module in API_MODULES:
        app.register_blueprint(module.blueprint)
    register_error_handlers(app)
    register_cors(app, parse_origins(container.config.cors_origins() or "*"))
    observability.register(app, container)
    limits.register(app, container)
    return app
