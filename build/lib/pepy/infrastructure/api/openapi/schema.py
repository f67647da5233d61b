"""The OpenAPI document's building blocks, shared by every family's paths."""

from __future__ import annotations

from pepy.application.queries.charts import MAX_COMPARED
from pepy.application.queries.common import MAX_LIMIT
from pepy.domain.model import PROJECT_NAME_MAX_LENGTH

JSON = "application/json"
ERROR = {"$ref": "#/components/schemas/Error"}
COUNT = {"type": "integer", "minimum": 0}
DAY = {"type": "string", "format": "date"}
STATUS_TEXT = {
    304: "Not modified: the copy the client holds (If-None-Match, If-Modified-Since) is current",
    400: "An invalid name or parameter; the message names it",
    401: "No valid X-API-Key header",
    403: "The key lacks the scope the endpoint needs",
    404: "No such project",
    503: "The database is unavailable or the query took too long; try again shortly",
}


def error(status: int) -> dict:
    """An error answer: the status's meaning and the Error schema."""
    return {"description": STATUS_TEXT[status], "content": {JSON: {"schema": ERROR}}}


def svg(description: str) -> dict:
    """An SVG answer."""
    return {"description": description, "content": {"image/svg+xml": {"schema": {"type": "string"}}}}


def object_schema(properties: dict, required: list[str] | None = None) -> dict:
    """An object schema; every property is required unless told otherwise."""
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def query(name: str, description: str, schema: dict) -> dict:
    """An optional query-string parameter."""
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def enum(*values: str, default: str | None = None) -> dict:
    """A string schema of the given values."""
    schema = {"type": "string", "enum": list(values)}
    if default is not None:
        schema["default"] = default
    return schema


NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "description": "The project's name, looked up PEP 503-normalised (Zope.Interface finds zope-interface)",
    "schema": {"type": "string", "minLength": 1, "maxLength": PROJECT_NAME_MAX_LENGTH},
}
PROJECTS = {
    "name": "projects",
    "in": "query",
    "required": True,
    "description": f"1 to {MAX_COMPARED} project names, separated by commas",
    "schema": {"type": "string", "minLength": 1},
}
LIMIT = query("limit", f"How many to return, 1 to {MAX_LIMIT}", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT})
MIRRORS = enum("true", "false")


def get(
    summary: str,
    ok: dict,
    parameters: list[dict] | None = None,
    errors: tuple[int, ...] = (400, 404, 503),
    cached: bool = True,
    tag: str = "pepy",
    description: str | None = None,
) -> dict:
    """A GET operation: its 200, its errors, and a 304 when the answer is cached."""
    responses = {"200": ok} | {str(status): error(status) for status in errors}
    if cached:
        responses["304"] = {"description": STATUS_TEXT[304]}
    operation = {"summary": summary, "tags": [tag], "parameters": parameters or [], "responses": responses}
    if description:
        operation["description"] = description
    return {"get": operation}


def json_answer(description: str, schema: dict) -> dict:
    """A JSON answer of the schema."""
    return {"description": description, "content": {JSON: {"schema": schema}}}
