"""The OpenAPI 3 document of every route: parameters, answers and their schemas, errors included."""

from __future__ import annotations

import re

from flask import Flask

from pepy.application.queries.common import MAX_LIMIT, MAX_SERIES_DAYS
from pepy.application.queries.pypistats import PYPISTATS_WINDOW_DAYS
from pepy.application.queries.v3 import MAX_SERIES_POINTS, SERIES_BREAKDOWNS
from pepy.domain.downloads import CATEGORY_BREAKDOWNS
from pepy.domain.model import PROJECT_NAME_MAX_LENGTH
from pepy.infrastructure.api.badge_svg import STYLES, UNIT_MODES

JSON = "application/json"
ERROR = {"$ref": "#/components/schemas/Error"}
COUNT = {"type": "integer", "minimum": 0}
DAY = {"type": "string", "format": "date"}
STATUS_TEXT = {
    304: "Not modified: the copy the client holds (If-None-Match, If-Modified-Since) is current",
    400: "An invalid name or parameter; the message names it",
    401: "No valid X-API-Key header",
    404: "No such project",
    503: "The database is unavailable or the query took too long; try again shortly",
}


def _error(status: int) -> dict:
    return {"description": STATUS_TEXT[status], "content": {JSON: {"schema": ERROR}}}


def _svg(description: str) -> dict:
    return {"description": description, "content": {"image/svg+xml": {"schema": {"type": "string"}}}}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _enum(*values: str, default: str | None = None) -> dict:
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
LIMIT = _query(
    "limit", f"How many to return, 1 to {MAX_LIMIT}", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}
)
START_DATE = _query("start_date", "The first day (YYYY-MM-DD); defaults to the 180-day window's", DAY)
END_DATE = _query("end_date", "The last day (YYYY-MM-DD); defaults to the last imported day", DAY)
MIRRORS = _enum("true", "false")


def _get(
    summary: str,
    ok: dict,
    parameters: list[dict] | None = None,
    errors: tuple[int, ...] = (400, 404, 503),
    cached: bool = True,
    tag: str = "pepy",
    description: str | None = None,
) -> dict:
    responses = {"200": ok} | {str(status): _error(status) for status in errors}
    if cached:
        responses["304"] = {"description": STATUS_TEXT[304]}
    operation = {"summary": summary, "tags": [tag], "parameters": parameters or [], "responses": responses}
    if description:
        operation["description"] = description
    return {"get": operation}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}}


_V2 = _object(
    {
        "id": {"type": "string"},
        "total_downloads": COUNT,
        "versions": {"type": "array", "items": {"type": "string"}},
        "downloads": {
            "type": "object",
            "description": "Per day (YYYY-MM-DD), per version",
            "additionalProperties": {"type": "object", "additionalProperties": COUNT},
        },
    }
)
_V1 = _object(
    {
        "id": {"type": "string"},
        "total_downloads": COUNT,
        "downloads": {"type": "object", "description": "Per day (YYYY-MM-DD)", "additionalProperties": COUNT},
    }
)
_BREAKDOWN_ROWS = {
    "type": "array",
    "items": _object({"category": {"type": "string"}, "date": DAY, "downloads": COUNT}),
}


def _pypistats(kind: str, data: dict) -> dict:
    return _json(
        "pypistats.org's shape",
        _object({"data": data, "package": {"type": "string"}, "type": {"type": "string", "enum": [kind]}}),
    )


_RECENT = _pypistats(
    "recent_downloads",
    {
        "type": "object",
        "description": "Only the window asked for with `period`, else all three",
        "properties": {"last_day": COUNT, "last_week": COUNT, "last_month": COUNT},
        "additionalProperties": False,
    },
)
_POINT = {
    "type": "object",
    "properties": {
        "period": {"type": "string", "description": "2026-11-20, 2026-W47 (ISO week) or 2026-11"},
        "start": DAY,
        "end": DAY,
        "partial": {"type": "boolean", "description": "The range cuts this week or month"},
        "downloads": COUNT,
        "categories": {
            "type": "object",
            "description": "With a breakdown: downloads per category (`null`: the unknown category)",
            "additionalProperties": COUNT,
        },
    },
    "required": ["period", "start", "end", "partial", "downloads"],
}
_SERIES = _object(
    {
        "project": {"type": "string"},
        "start": DAY,
        "end": DAY,
        "granularity": _enum("day", "week", "month"),
        "breakdown": {"type": "string", "enum": list(SERIES_BREAKDOWNS), "nullable": True},
        "mirrors": {"type": "boolean"},
        "versions": {"type": "string", "nullable": True},
        "data": {"type": "array", "items": _POINT},
    }
)
_WINDOW = _object({"with_mirrors": COUNT, "without_mirrors": COUNT})
_SUMMARY = _object(
    {
        "project": {"type": "string"},
        "total_downloads": COUNT,
        "first_day": {**DAY, "nullable": True},
        "last_day": {**DAY, "nullable": True},
        "downloads": _object({"last_day": _WINDOW, "last_week": _WINDOW, "last_month": _WINDOW}),
        "top_versions": {"type": "array", "items": _object({"version": {"type": "string"}, "downloads": COUNT})},
    }
)
_TOP = _object(
    {
        "period": _enum("day", "week", "month"),
        "start": DAY,
        "end": DAY,
        "projects": {"type": "array", "items": _object({"name": {"type": "string"}, "downloads": COUNT})},
    }
)
_SEARCH = _object(
    {
        "query": {"type": "string"},
        "projects": {"type": "array", "items": _object({"name": {"type": "string"}, "total_downloads": COUNT})},
    }
)

_BADGE_PARAMETERS = [
    _query("units", "international_system (k M G T P), abbreviation (k M B T Q) or none", _enum(*UNIT_MODES)),
    _query("style", "The look, as shields.io draws it", _enum(*STYLES, default="flat")),
    _query("mirrors", "false: count without mirrors", MIRRORS),
    _query("left_color", "A colour name (shields.io's or CSS's) or hex (abc, aabbcc)", {"type": "string"}),
    _query("right_color", "A colour name (shields.io's or CSS's) or hex (abc, aabbcc)", {"type": "string"}),
    _query("left_text", "The label", {"type": "string"}),
]
_BADGE = {
    "200": _svg("The badge"),
    "304": {"description": STATUS_TEXT[304]},
    "400": _svg("A badge naming the invalid parameter, e.g. `badge | invalid period`"),
    "404": _svg("`downloads | not found`"),
    "503": _svg("`downloads | unavailable`"),
}


def _badge(summary: str, parameters: list[dict]) -> dict:
    return {"get": {"summary": summary, "tags": ["badges"], "parameters": parameters, "responses": _BADGE}}


def _paths() -> dict:
    v2 = _json("pepy.tech's v2 shape", _V2)
    categories = ", ".join(CATEGORY_BREAKDOWNS)
    pypistats_dates = [START_DATE, END_DATE]
    return {
        "/health-check": _get(
            "Whether the database answers",
            _json("Healthy", _object({"status": {"type": "string"}})),
            errors=(503,),
            cached=False,
            tag="operations",
        ),
        "/ready": _get(
            "Whether the service can take traffic: the database answers and the last import is recent",
            _json("Ready", _object({"status": {"type": "string"}, "message": {"type": "string"}})),
            errors=(503,),
            cached=False,
            tag="operations",
        ),
        "/metrics": _get(
            "Prometheus metrics",
            {"description": "Prometheus' text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
            errors=(),
            cached=False,
            tag="operations",
        ),
        "/api/v2/projects/{name}": _get(
            "A project's total and per-version daily downloads",
            v2,
            [NAME],
            description="From the first day of the month that was 90 days ago; versions in PEP 440 order.",
        ),
        "/api/projects/{name}": _get(
            "pepy.tech's v1: total and daily totals of the last 30 days", _json("v1", _V1), [NAME]
        ),
        "/api/v1/projects/{name}": _get("The same as /api/projects/{name}", _json("v1", _V1), [NAME]),
        "/api/v1/admin/projects/{name}": {
            "get": {
                **_get("The v2 shape over every stored day (admin only)", v2, [NAME], errors=(400, 401, 404, 503))[
                    "get"
                ],
                "security": [{"ApiKey": []}],
                "description": "401 comes before anything else, so strangers cannot tell which projects exist.",
            }
        },
        "/badge/{name}": _badge("All-time downloads", [NAME, *_BADGE_PARAMETERS]),
        "/badge/{name}/month": _badge("Downloads of the last 30 days", [NAME, *_BADGE_PARAMETERS]),
        "/badge/{name}/week": _badge("Downloads of the last 7 days", [NAME, *_BADGE_PARAMETERS]),
        "/personalized-badge/{name}": _badge(
            "A badge with its period, units, colours, label and style chosen",
            [
                NAME,
                _query("period", "total, month (30 days) or week (7 days)", _enum("total", "month", "week")),
                *_BADGE_PARAMETERS,
            ],
        ),
        "/api/packages/{name}/recent": _get(
            "Non-mirror downloads of the last day, 7 days and 30 days",
            _RECENT,
            [NAME, _query("period", "Only this window", _enum("day", "week", "month"))],
            tag="pypistats",
        ),
        "/api/packages/{name}/overall": _get(
            f"Daily downloads with and without mirrors ({PYPISTATS_WINDOW_DAYS} days)",
            _pypistats("overall_downloads", _BREAKDOWN_ROWS),
            [NAME, _query("mirrors", "Only with (true) or without (false) mirrors", MIRRORS), *pypistats_dates],
            tag="pypistats",
        ),
        "/api/packages/{name}/python_major": _get(
            "Daily non-mirror downloads per Python major version",
            _pypistats("python_major_downloads", _BREAKDOWN_ROWS),
            [NAME, _query("version", "Only this one (`null`: unknown)", {"type": "string"}), *pypistats_dates],
            tag="pypistats",
        ),
        "/api/packages/{name}/python_minor": _get(
            "Daily non-mirror downloads per Python minor version",
            _pypistats("python_minor_downloads", _BREAKDOWN_ROWS),
            [NAME, _query("version", "Only this one (`null`: unknown)", {"type": "string"}), *pypistats_dates],
            tag="pypistats",
        ),
        "/api/packages/{name}/system": _get(
            "Daily non-mirror downloads per operating system",
            _pypistats("system_downloads", _BREAKDOWN_ROWS),
            [NAME, _query("os", "Only this one, any case (`null`: unknown)", {"type": "string"}), *pypistats_dates],
            tag="pypistats",
        ),
        "/api/v3/projects/{name}/downloads": _get(
            "A time series over any stored range",
            {
                "description": "The series; CSV with ?format=csv or Accept: text/csv",
                "content": {JSON: {"schema": _SERIES}, "text/csv": {"schema": {"type": "string"}}},
            },
            [
                NAME,
                _query("start", "The first day; defaults to 29 days before the end, 2016-01-22 at the earliest", DAY),
                _query("end", "The last day; defaults to the last imported day", DAY),
                _query("granularity", "day, ISO week or month", _enum("day", "week", "month", default="day")),
                _query("breakdown", f"Split by version, mirrors or one of {categories}", _enum(*SERIES_BREAKDOWNS)),
                _query("versions", "PEP 440 specifiers: >=2,<3 or 2.*", {"type": "string"}),
                _query("mirrors", "false: count without mirrors", MIRRORS),
                _query("format", "csv for CSV", _enum("json", "csv")),
            ],
            tag="v3",
            description=(
                f"At most {MAX_SERIES_DAYS} days and {MAX_SERIES_POINTS} points (buckets x categories). A week or "
                "month the range cuts is marked partial."
            ),
        ),
        "/api/v3/projects/{name}": _get("A project's summary", _json("Summary", _SUMMARY), [NAME], tag="v3"),
        "/api/v3/top": _get(
            "The most downloaded projects",
            _json("Ranking", _TOP),
            [_query("period", "The window", _enum("day", "week", "month", default="month")), LIMIT],
            errors=(400, 503),
            tag="v3",
        ),
        "/api/v3/search": _get(
            "Projects whose name starts with a prefix, most downloaded first",
            _json("Matches", _SEARCH),
            [
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "description": "The start of a name, normalised as names are",
                    "schema": {"type": "string"},
                },
                LIMIT,
            ],
            errors=(400, 503),
            tag="v3",
        ),
        "/openapi.json": _get(
            "This document", _json("OpenAPI 3", {"type": "object"}), errors=(), cached=False, tag="documentation"
        ),
        "/docs": _get(
            "Swagger UI over this document",
            {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
            errors=(),
            cached=False,
            tag="documentation",
        ),
        "/docs/{filename}": _get(
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
                f'Every error is JSON {{"error": status, "message": …}} except badges, which are images. '
                f"Caps: series of at most {MAX_SERIES_DAYS} days and {MAX_SERIES_POINTS} points; limit at most "
                f"{MAX_LIMIT}."
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
