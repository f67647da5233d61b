"""The OpenAPI paths of pepy.tech's Pro API."""

from __future__ import annotations

from pepy.application.queries.pepy_tech_pro import TIME_RANGE_DAYS, TimeRange
from pepy.infrastructure.api.openapi.schema import COUNT, DAY, NAME, enum, get, json_answer, object_schema, query

_TIME_RANGE = query(
    "timeRange",
    f"FOUR_MONTHS: the {TIME_RANGE_DAYS[TimeRange.FOUR_MONTHS]} days ending on the last imported day; ONE_YEAR: "
    f"the {TIME_RANGE_DAYS[TimeRange.ONE_YEAR]} days ending on it (inside the 400 days of per-version detail "
    "kept)",
    enum(*TimeRange, default=TimeRange.FOUR_MONTHS),
)
_DOWNLOADS = {
    "type": "object",
    "properties": {
        "downloads": {
            "type": "object",
            "description": "Per day (YYYY-MM-DD), per version",
            "additionalProperties": {"type": "object", "additionalProperties": COUNT},
        },
        "days_without_ci_split": {
            "type": "array",
            "items": DAY,
            "description": "With includeCIDownloads=false: days imported before the CI split was kept, left out of "
            "`downloads` (their figures without CI are unknown; importing them again fills them)",
        },
    },
    "required": ["downloads"],
}
_COUNTRIES = object_schema(
    {
        "downloads": {
            "type": "object",
            "description": "Per day (YYYY-MM-DD), each country's non-mirror downloads, most first",
            "additionalProperties": {
                "type": "array",
                "items": object_schema({"country": {"type": "string", "nullable": True}, "downloads": COUNT}),
            },
        }
    }
)


def _pro(summary: str, ok: dict, parameters: list[dict]) -> dict:
    operation = get(summary, ok, [NAME, *parameters], errors=(400, 401, 403, 404, 503), tag="pro")["get"]
    return {"get": {**operation, "security": [{"ApiKey": []}]}}


def pro_paths() -> dict:
    """The family's paths, in the document's order; a key of the pro (or admin) scope opens each."""
    downloads = _pro(
        "Per-version daily downloads, with or without CI",
        json_answer("pepy.tech's Pro shape", _DOWNLOADS),
        [_TIME_RANGE, query("includeCIDownloads", "false: leave downloads from CI out", enum("true", "false"))],
    )
    return {
        "/api/v3/pro/projects/{name}/downloads": downloads,
        "/service-api/v1/pro/projects/{name}/downloads": downloads,
        "/api/v3/pro/projects/{name}/country-downloads": _pro(
            "Daily non-mirror downloads per country", json_answer("pepy.tech's Pro shape", _COUNTRIES), [_TIME_RANGE]
        ),
    }
