"""The OpenAPI 3 document of every route: parameters, answers and their schemas, errors included.

Each API family's paths are a module of this package; schema holds the building blocks they share.
"""

from __future__ import annotations

import re

from flask import Flask

from pepy.application.queries.common import MAX_LIMIT, MAX_SERIES_DAYS
from pepy.application.queries.v3 import MAX_SERIES_POINTS
from pepy.infrastructure.api.limits import API_KEY_STATUS_HEADER, UNKNOWN_KEY_STATUS
from pepy.infrastructure.api.openapi.charts import chart_paths
from pepy.infrastructure.api.openapi.operations import documentation_paths, operations_paths
from pepy.infrastructure.api.openapi.pages import pages_paths
from pepy.infrastructure.api.openapi.pepy_tech import pepy_tech_paths
from pepy.infrastructure.api.openapi.pro import pro_paths
from pepy.infrastructure.api.openapi.pypistats import pypistats_paths
from pepy.infrastructure.api.openapi.v3 import v3_paths


def _paths() -> dict:
    return (
        operations_paths()
        | pepy_tech_paths()
        | pro_paths()
        | pypistats_paths()
        | v3_paths()
        | chart_paths()
        | documentation_paths()
        | pages_paths()
    )


def openapi_path(rule: str) -> str:
    """A Flask rule (/badge/<name:name>) as an OpenAPI path (/badge/{name})."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def document(app: Flask) -> dict:
    """The document for the routes the app has (routes registered by other modules are described too)."""
    routes = {openapi_path(rule.rule) for rule in app.url_map.iter_rules()}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "pepy",
            "version": "3",
            "description": (
                "PyPI download statistics: pepy.tech's and pypistats.org's APIs, and pepy's own /api/v3. "
                f'Every error is JSON {{"error": status, "message": …}} except badges and charts, which are images, '
                f"and the site's pages (tag site), which are HTML. "
                f"Caps: series of at most {MAX_SERIES_DAYS} days and {MAX_SERIES_POINTS} points; limit at most "
                f"{MAX_LIMIT}. An X-API-Key this server does not know (or has revoked) is answered as no key: "
                f"endpoints that need no key answer as they answer anonymous clients, within the address's "
                f"anonymous limit, with the header `{API_KEY_STATUS_HEADER}: {UNKNOWN_KEY_STATUS}`; endpoints that "
                f"need a key answer 401. A path with a {{name}} answers with one trailing slash too, as without it."
            ),
        },
        "paths": {path: item for path, item in _paths().items() if path in routes},
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "integer"}, "message": {"type": "string"}},
                    "required": ["error", "message"],
                    "additionalProperties": False,
                }
            },
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }
