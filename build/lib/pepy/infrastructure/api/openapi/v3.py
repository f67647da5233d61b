"""The OpenAPI paths of pepy's own API, v3."""

from __future__ import annotations

from pepy.application.queries.common import MAX_SERIES_DAYS
from pepy.application.queries.v3 import MAX_SERIES_POINTS, SERIES_BREAKDOWNS
from pepy.domain.downloads import CATEGORY_BREAKDOWNS
from pepy.infrastructure.api.openapi.schema import (
    COUNT,
    DAY,
    JSON,
    LIMIT,
    MIRRORS,
    NAME,
    PROJECTS,
    enum,
    get,
    json_answer,
    object_schema,
    query,
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
_SERIES = object_schema(
    {
        "project": {"type": "string"},
        "start": DAY,
        "end": DAY,
        "granularity": enum("day", "week", "month"),
        "breakdown": {"type": "string", "enum": list(SERIES_BREAKDOWNS), "nullable": True},
        "mirrors": {"type": "boolean"},
        "versions": {"type": "string", "nullable": True},
        "data": {"type": "array", "items": _POINT},
    }
)
_COMPARISON = object_schema(
    {
        "projects": {"type": "array", "items": {"type": "string"}},
        **{k: v for k, v in _SERIES["properties"].items() if k not in ("project", "data")},
        "series": {
            "type": "array",
            "items": object_schema({"project": {"type": "string"}, "data": {"type": "array", "items": _POINT}}),
        },
    }
)
_WINDOW = object_schema({"with_mirrors": COUNT, "without_mirrors": COUNT})
_SUMMARY = object_schema(
    {
        "project": {"type": "string"},
        "total_downloads": COUNT,
        "first_day": {**DAY, "nullable": True},
        "last_day": {**DAY, "nullable": True},
        "downloads": object_schema({"last_day": _WINDOW, "last_week": _WINDOW, "last_month": _WINDOW}),
        "top_versions": {"type": "array", "items": object_schema({"version": {"type": "string"}, "downloads": COUNT})},
    }
)
_TOP = object_schema(
    {
        "period": enum("day", "week", "month"),
        "start": DAY,
        "end": DAY,
        "projects": {"type": "array", "items": object_schema({"name": {"type": "string"}, "downloads": COUNT})},
    }
)
_SEARCH = object_schema(
    {
        "query": {"type": "string"},
        "projects": {"type": "array", "items": object_schema({"name": {"type": "string"}, "total_downloads": COUNT})},
    }
)


def v3_paths() -> dict:
    """The family's paths, in the document's order."""
    categories = ", ".join(CATEGORY_BREAKDOWNS)
    series_options = [
        query("start", "The first day; defaults to 29 days before the end, 2016-01-22 at the earliest", DAY),
        query("end", "The last day; defaults to the last imported day", DAY),
        query("granularity", "day, ISO week or month", enum("day", "week", "month", default="day")),
        query("breakdown", f"Split by version, mirrors or one of {categories}", enum(*SERIES_BREAKDOWNS)),
        query("versions", "PEP 440 specifiers: >=2,<3 or 2.*", {"type": "string"}),
        query("mirrors", "false: count without mirrors", MIRRORS),
        query("format", "csv for CSV", enum("json", "csv")),
    ]
    caps = (
        f"At most {MAX_SERIES_DAYS} days and {MAX_SERIES_POINTS} points (buckets x categories). A week or "
        "month the range cuts is marked partial."
    )
    return {
        "/api/v3/projects/{name}/downloads": get(
            "A time series over any stored range",
            {
                "description": "The series; CSV with ?format=csv or Accept: text/csv",
                "content": {JSON: {"schema": _SERIES}, "text/csv": {"schema": {"type": "string"}}},
            },
            [NAME, *series_options],
            tag="v3",
            description=caps,
        ),
        "/api/v3/compare": get(
            "The series of several projects over the same range and options",
            {
                "description": "Each project's series, in the order asked; CSV (with a project column) with "
                "?format=csv or Accept: text/csv",
                "content": {JSON: {"schema": _COMPARISON}, "text/csv": {"schema": {"type": "string"}}},
            },
            [PROJECTS, *series_options],
            tag="v3",
            description=f"{caps} One unknown project makes the whole answer a 404 naming it.",
        ),
        "/api/v3/projects/{name}": get("A project's summary", json_answer("Summary", _SUMMARY), [NAME], tag="v3"),
        "/api/v3/top": get(
            "The most downloaded projects",
            json_answer("Ranking", _TOP),
            [query("period", "The window", enum("day", "week", "month", default="month")), LIMIT],
            errors=(400, 503),
            tag="v3",
        ),
        "/api/v3/search": get(
            "Projects whose name starts with a prefix, most downloaded first",
            json_answer("Matches", _SEARCH),
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
    }
