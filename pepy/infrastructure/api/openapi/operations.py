"""The OpenAPI paths of the operational routes: probes, metrics, and the documentation itself."""

from __future__ import annotations

from pepy.infrastructure.api.openapi.schema import JSON, get, json_answer, object_schema


def operations_paths() -> dict:
    """Health, readiness and metrics."""
    return {
        "/health-check": get(
            "Whether the database answers",
            json_answer("Healthy", object_schema({"status": {"type": "string"}})),
            errors=(503,),
            cached=False,
            tag="operations",
        ),
        "/ready": get(
            "Whether the service can take traffic: the database answers, the replica (if reads go to one) is not too "
            "far behind the primary, and the last import is recent",
            json_answer("Ready", object_schema({"status": {"type": "string"}, "message": {"type": "string"}})),
            errors=(503,),
            cached=False,
            tag="operations",
        ),
        "/metrics": get(
            "Prometheus metrics",
            {"description": "Prometheus' text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
            errors=(),
            cached=False,
            tag="operations",
        ),
    }


def documentation_paths() -> dict:
    """The OpenAPI document and Swagger UI."""
    return {
        "/openapi.json": get(
            "This document", json_answer("OpenAPI 3", {"type": "object"}), errors=(), cached=False, tag="documentation"
        ),
        "/docs": get(
            "Swagger UI over this document",
            {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
            errors=(),
            cached=False,
            tag="documentation",
        ),
        "/docs/{filename}": get(
            "Swagger UI's assets, from the swagger-ui-bundle package",
            {
                "description": "The asset",
                "content": {
                    media: {"schema": {"type": "string"}}
                    for media in ("application/javascript", "text/javascript", "text/css", "text/html", "image/png")
                }
                | {JSON: {}},
            },
            [{"name": "filename", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}],
            errors=(404,),
            cached=False,
            tag="documentation",
        ),
    }
