"""The Flask application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import PathConverter

from pepy.infrastructure.api import views
from pepy.infrastructure.api.errors import register_error_handlers
from pepy.infrastructure.container import Container


class NameConverter(PathConverter):
    """Any text after the slash, control characters included, so the view can refuse it with a 400."""

    regex = r"[^/][\s\S]*?"


def create_app(container: Container) -> Flask:
    """A Flask app whose views get their handlers from the container."""
    app = Flask("pepy")
    app.url_map.converters["name"] = NameConverter
    app.container = container
    app.json.sort_keys = False
    container.wire(modules=[views])
    app.register_blueprint(views.blueprint)
    register_error_handlers(app)
    return app
