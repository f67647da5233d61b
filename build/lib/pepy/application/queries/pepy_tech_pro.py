"""pepy.tech's Pro queries: per-version downloads with or without CI, and downloads per country, over four months
or a year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pepy.application.queries.common import ReadHandler, project_name, window
from pepy.domain.downloads import Breakdown
from pepy.domain.errors import ProjectNotFound
from pepy.domain.read_models import VersionDocuments


class TimeRange(StrEnum):
    """pepy.tech's ranges, spelled as its clients send them."""

    FOUR_MONTHS = "FOUR_MONTHS"
    ONE_YEAR = "ONE_YEAR"


# Fixed lengths ending on the last imported day: 120 days is four 30-day months, and a year of 365 days stays
# inside the 400 days of per-version detail that retention keeps (PEPY_RETENTION_DAYS).
TIME_RANGE_DAYS = {TimeRange.FOUR_MONTHS: 120, TimeRange.ONE_YEAR: 365}


@dataclass(frozen=True)
class ProDownloads:
    """A project's per-version downloads per day over a range, with or without CI."""

    start: date
    end: date
    include_ci: bool
    documents: VersionDocuments


@dataclass(frozen=True)
class GetProDownloads:
    """A project's per-version downloads per day over a time range; without CI when include_ci is false."""

    name: str
    time_range: TimeRange = TimeRange.FOUR_MONTHS
    include_ci: bool = True


class GetProDownloadsHandler(ReadHandler):
    """Reads the day documents of the range ending on the last imported day."""

    def __call__(self, query: GetProDownloads) -> ProDownloads:
        name = project_name(query.name)
        start, end = window(self.last_day(), TIME_RANGE_DAYS[query.time_range])
        found = self._store.version_documents(name, start, end, query.include_ci)
        if found is None:
            raise ProjectNotFound(name)
        return ProDownloads(start, end, query.include_ci, found)


@dataclass(frozen=True)
class CountryDownloads:
    """A project's downloads per day and country (None: unknown), each day's countries most downloaded first."""

    start: date
    end: date
    days: dict[date, list[tuple[str | None, int]]]


@dataclass(frozen=True)
class GetCountryDownloads:
    """A project's non-mirror downloads per day and country over a time range."""

    name: str
    time_range: TimeRange = TimeRange.FOUR_MONTHS


class GetCountryDownloadsHandler(ReadHandler):
    """Reads the country breakdown of the range ending on the last imported day."""

    def __call__(self, query: GetCountryDownloads) -> CountryDownloads:
        name = project_name(query.name)
        start, end = window(self.last_day(), TIME_RANGE_DAYS[query.time_range])
        found = self._store.category_days(name, Breakdown.COUNTRY, start, end, None, any_category=True)
        if found is None:
            raise ProjectNotFound(name)
        days: dict[date, list[tuple[str | None, int]]] = {}
        for row in found.rows:
            days.setdefault(row.day, []).append((row.category, row.downloads))
        for countries in days.values():
            countries.sort(key=lambda country: (-country[1], country[0] is None, country[0] or ""))
        return CountryDownloads(start, end, days)
