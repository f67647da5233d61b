"""The OpenAPI paths of the site: HTML pages for people, and their stylesheet, script and icon. Their errors are
HTML pages too."""

from __future__ import annotations

from pepy.application.queries.charts import DEFAULT_PERIOD, MAX_COMPARED, PERIODS
from pepy.application.queries.v3 import SERIES_BREAKDOWNS
from pepy.infrastructure.api.openapi.schema import NAME, STATUS_TEXT, enum, query

_HTML = "text/html"
_RANGE = [
    query("period", "The chart's range, ending on the last imported day", enum(*PERIODS, default=DEFAULT_PERIOD)),
    query("granularity", "The chart's points; by default as the chart's", enum("day", "week", "month")),
]


def _html(description: str) -> dict:
    return {"description": description, "content": {_HTML: {"schema": {"type": "string"}}}}


def _page(summary: str, parameters: list[dict], errors: tuple[int, ...] = (400, 404, 503)) -> dict:
    responses = {"200": _html("The page"), "304": {"description": STATUS_TEXT[304]}}
    responses |= {str(status): _html(f"A page saying so: {STATUS_TEXT[status]}") for status in errors}
    return {"get": {"summary": summary, "tags": ["site"], "parameters": parameters, "responses": responses}}


def pages_paths() -> dict:
    """The site's paths, in the document's order."""
    return {
        "/": _page("The home page: a search form and the most downloaded projects", [], errors=(503,)),
        "/search": _page(
            "Projects whose name starts with q, most downloaded first; without q, the form alone",
            [query("q", "The start of a project name", {"type": "string", "maxLength": 200})],
            errors=(400, 503),
        ),
        "/projects/{name}": _page(
            "A project's page: downloads with and without mirrors, the chart and its table, versions, snippets",
            [
                NAME,
                *_RANGE,
                query("breakdown", "Split the chart by a breakdown's top categories", enum(*SERIES_BREAKDOWNS)),
            ],
        ),
        "/compare": _page(
            "Several projects' downloads: the comparison chart and its table; without projects, the form alone",
            [
                query(
                    "projects",
                    f"1 to {MAX_COMPARED} project names, separated by commas",
                    {"type": "string", "maxLength": 200},
                ),
                *_RANGE,
            ],
        ),
        "/static/{filename}": {
            "get": {
                "summary": "The site's stylesheet, script and icon",
                "tags": ["site"],
                "parameters": [
                    {"name": "filename", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                ],
                "responses": {
                    "200": {
                        "description": "The file",
                        "content": {
                            media: {"schema": {"type": "string"}}
                            for media in ("text/css", "text/javascript", "application/javascript", "image/svg+xml")
                        },
                    },
                    "304": {"description": STATUS_TEXT[304]},
                    "404": {
                        "description": "No such file",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
        },
    }
