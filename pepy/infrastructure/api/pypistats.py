"""pypistats.org's API: recent, overall and the python_major, python_minor and system breakdowns.

Every answer is {"data": …, "package": name, "type": kind}. Unlike pypistats.org, an unknown package is a 404
on every endpoint, and start_date and end_date filter on the server.
"""

from __future__ import annotations

import orjson
from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app, jsonify

from pepy.application.queries.pypistats import (
    CATEGORY_PARAMETERS,
    GetCategoryDownloads,
    GetCategoryDownloadsHandler,
    GetOverallDownloads,
    GetOverallDownloadsHandler,
    GetRecentDownloads,
    GetRecentDownloadsHandler,
)
from pepy.domain.downloads import Breakdown
from pepy.infrastructure.api import params
from pepy.infrastructure.api.caching import cached
from pepy.infrastructure.container import Container

blueprint = Blueprint("pypistats", __name__)


def _answer(kind: str, name: str, data: list[dict]):
    # Encoded by orjson itself, which writes the points' dates as ISO dates: formatting hundreds of them in Python
    # cost more than the rest of the answer.
    body = orjson.dumps({"data": data, "package": name, "type": kind}) + b"\n"
    return current_app.response_class(body, mimetype="application/json")


@blueprint.get("/api/packages/<name:name>/recent")
@cached()
@inject
def recent(name: str, get_recent: GetRecentDownloadsHandler = Provide[Container.get_recent_downloads]):
    """Non-mirror downloads of the last day, 7 days and 30 days (or the one `period` asks for)."""
    found = get_recent(GetRecentDownloads(name, params.choice("period", ("day", "week", "month"))))
    return jsonify(data=found.windows, package=found.name, type="recent_downloads")


@blueprint.get("/api/packages/<name:name>/overall")
@cached()
@inject
def overall(name: str, get_overall: GetOverallDownloadsHandler = Provide[Container.get_overall_downloads]):
    """Daily downloads with and without mirrors (or the one `mirrors` asks for)."""
    query = GetOverallDownloads(name, params.boolean("mirrors"), params.day("start_date"), params.day("end_date"))
    found = get_overall(query)
    # Spliced as text: the store has already written the points.
    body = (
        f'{{"data":[{found.points_json}],"package":{orjson.dumps(found.name).decode()},"type":"overall_downloads"}}\n'
    )
    return current_app.response_class(body, mimetype="application/json")


def _categories(get_categories: GetCategoryDownloadsHandler, name: str, breakdown: Breakdown):
    category = params.text(CATEGORY_PARAMETERS[breakdown])
    query = GetCategoryDownloads(name, breakdown, category, params.day("start_date"), params.day("end_date"))
    found = get_categories(query)
    data = [
        {"category": "null" if stored is None else stored, "date": day, "downloads": downloads}
        for day, stored, downloads in found.rows
    ]
    return _answer(f"{breakdown}_downloads", found.name, data)


@blueprint.get("/api/packages/<name:name>/python_major")
@cached()
@inject
def python_major(name: str, get_categories: GetCategoryDownloadsHandler = Provide[Container.get_category_downloads]):
    """Daily non-mirror downloads per Python major version (`version` keeps one, `null` the unknown)."""
    return _categories(get_categories, name, Breakdown.PYTHON_MAJOR)


@blueprint.get("/api/packages/<name:name>/python_minor")
@cached()
@inject
def python_minor(name: str, get_categories: GetCategoryDownloadsHandler = Provide[Container.get_category_downloads]):
    """Daily non-mirror downloads per Python minor version (`version` keeps one, `null` the unknown)."""
    return _categories(get_categories, name, Breakdown.PYTHON_MINOR)


@blueprint.get("/api/packages/<name:name>/system")
@cached()
@inject
def system(name: str, get_categories: GetCategoryDownloadsHandler = Provide[Container.get_category_downloads]):
    """Daily non-mirror downloads per operating system (`os` keeps one, matched without regard to case)."""
    return _categories(get_categories, name, Breakdown.SYSTEM)
