"""pepy.tech's Pro API: per-version downloads with or without CI, and downloads per country; a key of the pro
scope (or admin) is required, and answers are private to it."""

from __future__ import annotations

import json

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app, jsonify

from pepy.application.queries.common import InvalidParameter
from pepy.application.queries.pepy_tech_pro import (
    GetCountryDownloads,
    GetCountryDownloadsHandler,
    GetProDownloads,
    GetProDownloadsHandler,
    ProDownloads,
    TimeRange,
)
from pepy.domain.access import PRO
from pepy.infrastructure.api import params
from pepy.infrastructure.api.scopes import requires_scope
from pepy.infrastructure.container import Container

blueprint = Blueprint("pro", __name__)


def _time_range() -> TimeRange:
    value = params.text("timeRange")
    if value is None:
        return TimeRange.FOUR_MONTHS
    if value.upper() not in TimeRange.__members__:
        raise InvalidParameter("timeRange", f"must be {' or '.join(TimeRange)}, not {value!r}")
    return TimeRange(value.upper())


def _downloads_body(found: ProDownloads):
    # Spliced as text: the store has already built the (possibly very large) downloads object.
    body = '{"downloads":' + found.documents.downloads_json
    if not found.include_ci:
        missing = [day.isoformat() for day in found.documents.days_without_ci_split]
        body += ',"days_without_ci_split":' + json.dumps(missing, separators=(",", ":"))
    return current_app.response_class(body + "}", mimetype="application/json")


@blueprint.get("/api/v3/pro/projects/<name:name>/downloads")
@blueprint.get("/service-api/v1/pro/projects/<name:name>/downloads")
@requires_scope(PRO)
@inject
def pro_downloads(name: str, get_downloads: GetProDownloadsHandler = Provide[Container.get_pro_downloads]):
    """Per day, per version downloads over FOUR_MONTHS or ONE_YEAR; includeCIDownloads=false leaves CI out."""
    query = GetProDownloads(name, _time_range(), params.boolean("includeCIDownloads", True))
    return _downloads_body(get_downloads(query))


@blueprint.get("/api/v3/pro/projects/<name:name>/country-downloads")
@requires_scope(PRO)
@inject
def country_downloads(name: str, get_countries: GetCountryDownloadsHandler = Provide[Container.get_country_downloads]):
    """Per day, the non-mirror downloads of each country (`null`: unknown), most downloaded first."""
    found = get_countries(GetCountryDownloads(name, _time_range()))
    return jsonify(
        downloads={
            day.isoformat(): [{"country": country, "downloads": downloads} for country, downloads in countries]
            for day, countries in found.days.items()
        }
    )
