"""The Flask application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import PathConverter

from pepy.infrastructure.api import (
    badges,
    caching,
    cors,
    docs,
    errors,
    limits,
    observability,
    pro,
    pypistats,
    request_log,
    v3,
    views,
)
from pepy.infrastructure.container import Container

# Every API module: each is wired to the container and registers its blueprint, in this order. The order is the
# order of their app-wide hooks: before a view, the request log's timer starts first and limits admit last; after
# it, they run in reverse, so the request log stops its timer after every other hook.
API_MODULES = (request_log, errors, cors, observability, limits, caching, views, badges, pro, pypistats, v3, docs)


class NameConverter(PathConverter):
    """Any text after the slash, control characters included, so the view can refuse it with a 400."""

    regex = r"[^/][\s\S]*?"


def create_app(container: Container) -> Flask:
    """A Flask app whose modules get their handlers from the container."""
    # No static folder: Swagger UI's assets are served by the docs blueprint, from their package.
    app = Flask("pepy", static_folder=None)
    app.url_map.converters["name"] = NameConverter
    app.json.sort_keys = False
    container.wire(modules=list(API_MODULES))
    for module in API_MODULES:
        app.register_blueprint(module.blueprint)
    return app
