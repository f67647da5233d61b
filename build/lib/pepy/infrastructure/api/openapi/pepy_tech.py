"""The OpenAPI paths of pepy.tech's API: v1, v2, admin and badges."""

from __future__ import annotations

from pepy.infrastructure.api.badge_svg import STYLES, UNIT_MODES
from pepy.infrastructure.api.openapi.schema import (
    COUNT,
    MIRRORS,
    NAME,
    STATUS_TEXT,
    enum,
    get,
    json_answer,
    object_schema,
    query,
    svg,
)

_V2 = object_schema(
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
_V1 = object_schema(
    {
        "id": {"type": "string"},
        "total_downloads": COUNT,
        "downloads": {"type": "object", "description": "Per day (YYYY-MM-DD)", "additionalProperties": COUNT},
    }
)
_BADGE_PARAMETERS = [
    query("units", "international_system (k M G T P), abbreviation (k M B T Q) or none", enum(*UNIT_MODES)),
    query("style", "The look, as shields.io draws it", enum(*STYLES, default="flat")),
    query("mirrors", "false: count without mirrors", MIRRORS),
    query("left_color", "A colour name (shields.io's or CSS's) or hex (abc, aabbcc)", {"type": "string"}),
    query("right_color", "A colour name (shields.io's or CSS's) or hex (abc, aabbcc)", {"type": "string"}),
    query("left_text", "The label", {"type": "string"}),
]
_BADGE = {
    "200": svg("The badge"),
    "304": {"description": STATUS_TEXT[304]},
    "400": svg("A badge naming the invalid parameter, e.g. `badge | invalid period`"),
    "404": svg("`downloads | not found`"),
    "503": svg("`downloads | unavailable`"),
}


def _badge(summary: str, parameters: list[dict]) -> dict:
    return {"get": {"summary": summary, "tags": ["badges"], "parameters": parameters, "responses": _BADGE}}


def pepy_tech_paths() -> dict:
    """The family's paths, in the document's order."""
    v2 = json_answer("pepy.tech's v2 shape", _V2)
    return {
        "/api/v2/projects/{name}": get(
            "A project's total and per-version daily downloads",
            v2,
            [NAME],
            description="From the first day of the month that was 90 days ago; versions in PEP 440 order.",
        ),
        "/api/projects/{name}": get(
            "pepy.tech's v1: total and daily totals of the last 30 days", json_answer("v1", _V1), [NAME]
        ),
        "/api/v1/projects/{name}": get("The same as /api/projects/{name}", json_answer("v1", _V1), [NAME]),
        "/api/v1/admin/projects/{name}": {
            "get": {
                **get("The v2 shape over every stored day (admin only)", v2, [NAME], errors=(400, 401, 403, 404, 503))[
                    "get"
                ],
                "security": [{"ApiKey": []}],
                "description": "401 and 403 come before anything else, so strangers cannot tell which projects exist.",
            }
        },
        "/badge/{name}": _badge("All-time downloads", [NAME, *_BADGE_PARAMETERS]),
        "/badge/{name}/month": _badge("Downloads of the last 30 days", [NAME, *_BADGE_PARAMETERS]),
        "/badge/{name}/week": _badge("Downloads of the last 7 days", [NAME, *_BADGE_PARAMETERS]),
        "/personalized-badge/{name}": _badge(
            "A badge with its period, units, colours, label and style chosen",
            [
                NAME,
                query("period", "total, month (30 days) or week (7 days)", enum("total", "month", "week")),
                *_BADGE_PARAMETERS,
            ],
        ),
    }
