"""The OpenAPI document at /openapi.json, and Swagger UI at /docs from the swagger-ui-bundle package's files."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from pepy.infrastructure.api.openapi import document

blueprint = Blueprint("docs", __name__)

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>pepy API</title><link rel="stylesheet" href="{css}"></head>
<body><div id="swagger-ui"></div><script src="{js}"></script>
<script>SwaggerUIBundle({{url: "{spec}", dom_id: "#swagger-ui", deepLinking: true}});</script></body>
</html>
"""


@blueprint.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3 document of every route."""
    if "pepy_openapi" not in current_app.extensions:
        current_app.extensions["pepy_openapi"] = document(current_app)
    return jsonify(current_app.extensions["pepy_openapi"])


@blueprint.get("/docs")
def swagger_ui():
    """Swagger UI, with its assets served by this app (no CDN)."""
    page = _PAGE.format(
        css=url_for("docs.asset", filename="swagger-ui.css"),
        js=url_for("docs.asset", filename="swagger-ui-bundle.js"),
        spec=url_for("docs.openapi_document"),
    )
    return current_app.response_class(page, mimetype="text/html")


@blueprint.get("/docs/<path:filename>")
def asset(filename: str):
    """One of Swagger UI's files; anything else is a 404."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
