"""The OpenAPI paths of the rankings the import builds: the top-pypi-packages list and trending (tagged v3)."""

from __future__ import annotations

from pepy.application.queries.common import MAX_LIMIT
from pepy.domain.rankings import TOP_LIST_SIZE, TOP_LISTS, TRENDING
from pepy.infrastructure.api.openapi.schema import (
    COUNT,
    DAY,
    ERROR,
    JSON,
    enum,
    get,
    json_answer,
    object_schema,
    query,
)

_UNAVAILABLE = {
    "description": "The database is unavailable; or the rankings are not built yet (each import run builds them "
    "when it ends, and `pepy db upgrade` does); or, for trending, a day of the two periods is not imported",
    "content": {JSON: {"schema": ERROR}},
}
_TOP_PACKAGES = object_schema(
    {
        "last_update": {
            "type": "string",
            "pattern": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$",
            "description": "When the newest import the list includes succeeded (UTC)",
        },
        "rows": {
            "type": "array",
            "description": "Most downloaded first (mirrors included), ties by name",
            "items": object_schema({"download_count": COUNT, "project": {"type": "string"}}),
        },
    }
)
_TRENDING = object_schema(
    {
        "period": enum(*TRENDING),
        "start": DAY,
        "end": DAY,
        "previous_start": DAY,
        "previous_end": DAY,
        "projects": {
            "type": "array",
            "items": object_schema(
                {
                    "name": {"type": "string"},
                    "downloads": COUNT,
                    "previous_downloads": COUNT,
                    "growth": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                }
            ),
        },
    }
)


def _ranking(summary: str, ok: dict, parameters: list[dict], description: str) -> dict:
    operation = get(summary, ok, parameters, errors=(400, 503), tag="v3", description=description)
    operation["get"]["responses"]["503"] = _UNAVAILABLE
    return operation


def rankings_paths() -> dict:
    """The family's paths, in the document's order."""
    top = _ranking(
        "The top-pypi-packages list",
        json_answer("hugovk's top-pypi-packages format, compact", _TOP_PACKAGES),
        [
            query(
                "days",
                "The days ending on the last imported day",
                {"type": "integer", "enum": list(TOP_LISTS), "default": 30},
            ),
            query(
                "limit",
                f"How many projects, 1 to {TOP_LIST_SIZE}",
                {"type": "integer", "minimum": 1, "maximum": TOP_LIST_SIZE, "default": TOP_LIST_SIZE},
            ),
        ],
        "The most downloaded projects, built by each import run. Both names answer the same compact JSON.",
    )
    return {
        "/api/v3/top-pypi-packages.json": top,
        "/api/v3/top-pypi-packages.min.json": top,
        "/api/v3/trending": _ranking(
            "The projects whose downloads grew the most",
            json_answer("Trending projects", _TRENDING),
            [
                query(
                    "period",
                    "The last 7 or 30 days ending on the last imported day, against as many days before",
                    enum(*TRENDING, default="week"),
                ),
                query(
                    "limit",
                    f"How many to return, 1 to {MAX_LIMIT}",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
                ),
            ],
            "Downloads without mirrors. growth = (downloads - previous_downloads) / (previous_downloads + M), "
            "rounded to 4 decimals, over projects with at least M downloads that grew, where M is "
            + " and ".join(f"{r.minimum:,} for a {period}" for period, r in TRENDING.items())
            + ". Highest growth first; equal growth: more downloads first, then by name.",
        ),
    }
