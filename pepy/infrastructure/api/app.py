"""The Flask application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from pepy.infrastructure.api import (
    badges,
    caching,
    charts,
    cors,
    docs,
    errors,
    limits,
    observability,
    pages,
    pro,
    pypistats,
    rankings,
    request_log,
    security_headers,
    v3,
    views,
)
from pepy.infrastructure.api.json_provider import OrjsonProvider
from pepy.infrastructure.container import Container

# Every API module: each is wired to the container and registers its blueprint, in this order. The order is the
# order of their app-wide hooks: before a view, the request log's timer starts first and limits admit last; after
# it, they run in reverse, so the request log stops its timer after every other hook.
API_MODULES = (
    request_log,
    errors,
    security_headers,
    cors,
    observability,
    limits,
    caching,
    views,
    badges,
    charts,
    pro,
    pypistats,
    v3,
    rankings,
    docs,
    pages,
)


class SyncFlask(Flask):
    """Flask, remembering what ensure_sync answered for each hook and view.

    Flask asks it of every hook and view on every request, and each answer costs an inspection of the function's
    code flags; the app's functions are all synchronous and fixed once it is built.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


class NameConverter(PathConverter):
    """Any text after the slash, control characters included, so the view can refuse it with a 400."""

    regex = r"[^/][\s\S]*?"


def serve_a_trailing_slash(app: Flask) -> None:
    """Answer a route that takes a project name with one slash added (/api/v2/projects/requests/) as without it.

    The name converter would otherwise take the slash into the name, a 400. Serving it directly (not a redirect)
    answers clients that do not follow redirects, in one round trip, with the same caching headers. Only routes
    with a name: a path that nginx allows by exact match (`location = /metrics`) must not answer with a slash added.
    """
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.endswith("/"):
            without = {**environ, "PATH_INFO": path[:-1]}
            try:
                _, arguments = app.url_map.bind_to_environ(without).match()
            except HTTPException:
                arguments = {}
            if "name" in arguments:
                environ["PATH_INFO"] = without["PATH_INFO"]
        return inner(environ, start_response)

    app.wsgi_app = wsgi_app


def create_app(container: Container) -> Flask:
    """A Flask app whose modules get their handlers from the container."""
    # No static folder: Swagger UI's assets are served by the docs blueprint, from their package, and the site's by
    # the pages blueprint.
    app = SyncFlask("pepy", static_folder=None)
    app.url_map.converters["name"] = NameConverter
    app.json = OrjsonProvider(app)
    container.wire(modules=list(API_MODULES))
    for module in API_MODULES:
        app.register_blueprint(module.blueprint)
    serve_a_trailing_slash(app)
    return app
