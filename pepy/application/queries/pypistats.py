"""pypistats.org's queries: recent, overall, and the per-category breakdowns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pepy.application.queries.common import (
    MAX_SERIES_DAYS,
    WINDOW_DAYS,
    InvalidParameter,
    ReadHandler,
    check_day,
    check_range,
    open_start,
    project_name,
    window,
)
from pepy.domain.downloads import Breakdown
from pepy.domain.errors import ProjectNotFound
from pepy.domain.read_models import CategoryDownloads, OverallPoints

PYPISTATS_WINDOW_DAYS = 180
# The longest category a client may filter by; stored categories may be longer, and then match none.
MAX_CATEGORY_FILTER_LENGTH = 100
# The query-string parameter that filters each breakdown's categories, as pypistats.org names it.
CATEGORY_PARAMETERS = {Breakdown.PYTHON_MAJOR: "version", Breakdown.PYTHON_MINOR: "version", Breakdown.SYSTEM: "os"}


@dataclass(frozen=True)
class RecentDownloads:
    """A project's non-mirror downloads per window, keyed last_day, last_week and last_month."""

    name: str
    windows: dict[str, int]


@dataclass(frozen=True)
class GetRecentDownloads:
    """pypistats.org's recent view: non-mirror downloads of the last day, week and month (or just one)."""

    name: str
    period: str | None = None


class GetRecentDownloadsHandler(ReadHandler):
    """Sums the three windows ending on the last imported day in one read."""

    def __call__(self, query: GetRecentDownloads) -> RecentDownloads:
        if query.period is not None and query.period not in WINDOW_DAYS:
            raise InvalidParameter("period", f"must be day, week or month, not {query.period!r}")
        name = project_name(query.name)
        periods = [query.period] if query.period else list(WINDOW_DAYS)
        end = self.last_day()
        found = self._store.sums(name, [window(end, WINDOW_DAYS[p]) for p in periods])
        if found is None:
            raise ProjectNotFound(name)
        return RecentDownloads(
            name, {f"last_{p}": s.non_mirror_downloads for p, s in zip(periods, found.windows, strict=True)}
        )


def pypistats_range(start: date | None, end: date | None, last: date, today: date) -> tuple[date, date]:
    """pypistats.org's 180 days ending on the last imported day, narrowed or moved by start and end dates."""
    start, end = check_day("start_date", start, today), check_day("end_date", end, today) or last
    start = start or open_start(end, PYPISTATS_WINDOW_DAYS)
    check_range(start, end, MAX_SERIES_DAYS, "end_date")
    return start, end


@dataclass(frozen=True)
class GetOverallDownloads:
    """pypistats.org's overall view: daily downloads with mirrors, without, or both (mirrors None)."""

    name: str
    mirrors: bool | None = None
    start: date | None = None
    end: date | None = None


class GetOverallDownloadsHandler(ReadHandler):
    """Reads the window's points: each day with downloads is a with_mirrors and a without_mirrors point."""

    def __call__(self, query: GetOverallDownloads) -> OverallPoints:
        name = project_name(query.name)
        start, end = pypistats_range(query.start, query.end, self.last_day(), self._clock())
        found = self._store.overall_points(name, start, end, query.mirrors)
        if found is None:
            raise ProjectNotFound(name)
        return found


@dataclass(frozen=True)
class GetCategoryDownloads:
    """pypistats.org's python_major, python_minor and system views: non-mirror downloads per day and category.

    `category` keeps one category (the string "null" is the null category); None keeps them all.
    """

    name: str
    breakdown: Breakdown
    category: str | None = None
    start: date | None = None
    end: date | None = None


class GetCategoryDownloadsHandler(ReadHandler):
    """Validates the breakdown and category, and reads the window."""

    def __call__(self, query: GetCategoryDownloads) -> CategoryDownloads:
        if query.breakdown not in CATEGORY_PARAMETERS:
            raise InvalidParameter("breakdown", f"must be one of {', '.join(CATEGORY_PARAMETERS)}")
        if query.category is not None and not 1 <= len(query.category) <= MAX_CATEGORY_FILTER_LENGTH:
            raise InvalidParameter(
                CATEGORY_PARAMETERS[query.breakdown], f"must be 1 to {MAX_CATEGORY_FILTER_LENGTH} characters long"
            )
        name = project_name(query.name)
        start, end = pypistats_range(query.start, query.end, self.last_day(), self._clock())
        category = None if query.category is None or query.category.lower() == "null" else query.category
        found = self._store.category_days(name, query.breakdown, start, end, category, query.category is None)
        if found is None:
            raise ProjectNotFound(name)
        return found
