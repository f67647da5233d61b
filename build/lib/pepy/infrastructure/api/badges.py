"""pepy.tech's badges, drawn in-process; every answer, errors included, is an SVG image."""

from __future__ import annotations

import logging

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app

from pepy.application.queries.common import InvalidParameter
from pepy.application.queries.pepy_tech import GetBadgeCount, GetBadgeCountHandler, Period
from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable, DomainError, InvalidProjectName, ProjectNotFound
from pepy.infrastructure.api import params
from pepy.infrastructure.api.badge_svg import STYLES, UNIT_MODES, Badge, format_count, parse_colour
from pepy.infrastructure.api.caching import cached
from pepy.infrastructure.container import Container

blueprint = Blueprint("badges", __name__)
log = logging.getLogger(__name__)

SVG = "image/svg+xml"
LABELS = {Period.TOTAL: "downloads", Period.MONTH: "downloads/month", Period.WEEK: "downloads/week"}
# The personalized badge's defaults are pepy.tech's.
PERSONALIZED_DEFAULTS = {
    "period": "total",
    "left_color": "green",
    "right_color": "green",
    "left_text": "downloads/month",
}
DEFAULT_COLOURS = ("grey", "blue")


def _svg(badge: Badge, status: int = 200):
    return current_app.response_class(badge.render(), status=status, mimetype=SVG)


def _colour(name: str, default: str) -> str:
    value = params.text(name, default)
    colour = parse_colour(value)
    if colour is None:
        raise InvalidParameter(name, f"{value!r} is neither a colour name nor a hex colour")
    return colour


def _draw(get_count: GetBadgeCountHandler, name: str, period: Period | None, label: str, colours: tuple[str, str]):
    """The badge, or one that names what is wrong; `period` None reads it from the query string."""
    try:
        period = period or Period(params.choice("period", tuple(Period), PERSONALIZED_DEFAULTS["period"]))
        units = params.choice("units", UNIT_MODES, "international_system")
        style = params.choice("style", STYLES, "flat")
        mirrors = params.boolean("mirrors", True)
        left_text = params.text("left_text", label)
        left, right = _colour("left_color", colours[0]), _colour("right_color", colours[1])
        count = get_count(GetBadgeCount(name, period, mirrors))
    except ProjectNotFound:
        return _svg(Badge("downloads", "not found", "#555555", "#9f9f9f"), 404)
    except InvalidProjectName:
        return _svg(Badge("badge", "invalid name", "#555555", "#e05d44"), 400)
    except InvalidParameter as error:
        return _svg(Badge("badge", f"invalid {error.parameter}", "#555555", "#e05d44"), 400)
    except DomainError:
        return _svg(Badge("badge", "invalid request", "#555555", "#e05d44"), 400)
    except (DatabaseUnavailable, DatabaseTimeout) as error:
        log.warning("badge unavailable", extra={"reason": str(error)})
        return _svg(Badge("downloads", "unavailable", "#555555", "#9f9f9f"), 503)
    return _svg(Badge(left_text, format_count(count, units), left, right, style))


@blueprint.get("/badge/<name:name>")
@cached()
@inject
def badge_total(name: str, get_count: GetBadgeCountHandler = Provide[Container.get_badge_count]):
    """All-time downloads."""
    return _draw(get_count, name, Period.TOTAL, LABELS[Period.TOTAL], DEFAULT_COLOURS)


@blueprint.get("/badge/<name:name>/month")
@cached()
@inject
def badge_month(name: str, get_count: GetBadgeCountHandler = Provide[Container.get_badge_count]):
    """Downloads of the last 30 days."""
    return _draw(get_count, name, Period.MONTH, LABELS[Period.MONTH], DEFAULT_COLOURS)


@blueprint.get("/badge/<name:name>/week")
@cached()
@inject
def badge_week(name: str, get_count: GetBadgeCountHandler = Provide[Container.get_badge_count]):
    """Downloads of the last 7 days."""
    return _draw(get_count, name, Period.WEEK, LABELS[Period.WEEK], DEFAULT_COLOURS)


@blueprint.get("/personalized-badge/<name:name>")
@cached()
@inject
def personalized_badge(name: str, get_count: GetBadgeCountHandler = Provide[Container.get_badge_count]):
    """A badge with the period, units, colours, label and style chosen by query parameters."""
    defaults = PERSONALIZED_DEFAULTS
    return _draw(get_count, name, None, defaults["left_text"], (defaults["left_color"], defaults["right_color"]))
