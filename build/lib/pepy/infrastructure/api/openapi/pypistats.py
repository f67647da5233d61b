"""The OpenAPI paths of pypistats.org's API."""

from __future__ import annotations

from pepy.application.queries.pypistats import PYPISTATS_WINDOW_DAYS
from pepy.infrastructure.api.openapi.schema import (
    COUNT,
    DAY,
    MIRRORS,
    NAME,
    enum,
    get,
    json_answer,
    object_schema,
    query,
)

START_DATE = query("start_date", "The first day (YYYY-MM-DD); defaults to the 180-day window's", DAY)
END_DATE = query("end_date", "The last day (YYYY-MM-DD); defaults to the last imported day", DAY)

_BREAKDOWN_ROWS = {
    "type": "array",
    "items": object_schema({"category": {"type": "string"}, "date": DAY, "downloads": COUNT}),
}


def _pypistats(kind: str, data: dict) -> dict:
    return json_answer(
        "pypistats.org's shape",
        object_schema({"data": data, "package": {"type": "string"}, "type": {"type": "string", "enum": [kind]}}),
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


def pypistats_paths() -> dict:
    """The family's paths, in the document's order."""
    pypistats_dates = [START_DATE, END_DATE]
    return {
        "/api/packages/{name}/recent": get(
            "Non-mirror downloads of the last day, 7 days and 30 days",
            _RECENT,
            [NAME, query("period", "Only this window", enum("day", "week", "month"))],
            tag="pypistats",
        ),
        "/api/packages/{name}/overall": get(
            f"Daily downloads with and without mirrors ({PYPISTATS_WINDOW_DAYS} days)",
            _pypistats("overall_downloads", _BREAKDOWN_ROWS),
            [NAME, query("mirrors", "Only with (true) or without (false) mirrors", MIRRORS), *pypistats_dates],
            tag="pypistats",
        ),
        "/api/packages/{name}/python_major": get(
            "Daily non-mirror downloads per Python major version",
            _pypistats("python_major_downloads", _BREAKDOWN_ROWS),
            [NAME, query("version", "Only this one (`null`: unknown)", {"type": "string"}), *pypistats_dates],
            tag="pypistats",
        ),
        "/api/packages/{name}/python_minor": get(
            "Daily non-mirror downloads per Python minor version",
            _pypistats("python_minor_downloads", _BREAKDOWN_ROWS),
            [NAME, query("version", "Only this one (`null`: unknown)", {"type": "string"}), *pypistats_dates],
            tag="pypistats",
        ),
        "/api/packages/{name}/system": get(
            "Daily non-mirror downloads per operating system",
            _pypistats("system_downloads", _BREAKDOWN_ROWS),
            [NAME, query("os", "Only this one, any case (`null`: unknown)", {"type": "string"}), *pypistats_dates],
            tag="pypistats",
        ),
    }
