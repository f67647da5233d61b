"""pepy.tech's queries: v1, v2, admin and badges."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pepy.application.queries.common import WINDOW_DAYS, ReadHandler, project_name, window
from pepy.domain.downloads import FIRST_DAY, v2_window_start
from pepy.domain.errors import ProjectNotFound
from pepy.domain.model import sort_versions
from pepy.domain.read_models import ProjectDays, ProjectVersionDownloads


@dataclass(frozen=True)
class GetProject:
    """A project's v2 view; with all_days, every stored day rather than pepy's window."""

    name: str
    all_days: bool = False


class GetProjectHandler(ReadHandler):
    """Normalises the name, reads the window, and orders versions as PEP 440 does."""

    def __call__(self, query: GetProject) -> ProjectVersionDownloads:
        name = project_name(query.name)
        today = self._clock()
        start = FIRST_DAY if query.all_days else v2_window_start(today)
        found = self._store.version_downloads(name, start, today)
        if found is None:
            raise ProjectNotFound(name)
        return ProjectVersionDownloads(
            found.name, found.total_downloads, sort_versions(found.versions), found.downloads_json
        )


@dataclass(frozen=True)
class GetDailyDownloads:
    """pepy's v1 view: a project's total and its day totals over the last 30 days."""

    name: str


class GetDailyDownloadsHandler(ReadHandler):
    """Reads the 30 days ending on the last imported day."""

    def __call__(self, query: GetDailyDownloads) -> ProjectDays:
        name = project_name(query.name)
        found = self._store.day_totals(name, *window(self.last_day(), WINDOW_DAYS["month"]))
        if found is None:
            raise ProjectNotFound(name)
        return found


class Period(StrEnum):
    """How far back a badge counts: everything, the last 30 days or the last 7."""

    TOTAL = "total"
    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True)
class GetBadgeCount:
    """The number a badge shows: downloads over a period, with or without mirrors."""

    name: str
    period: Period = Period.TOTAL
    mirrors: bool = True


class GetBadgeCountHandler(ReadHandler):
    """Total from the all-time figures (with mirrors or without, as ProjectSums has them); month and week from the
    day totals ending on the last imported day."""

    def __call__(self, query: GetBadgeCount) -> int:
        name = project_name(query.name)
        end = self.last_day()
        # The all-time totals are stored as such: no day needs reading.
        windows = [] if query.period is Period.TOTAL else [window(end, WINDOW_DAYS[query.period.value])]
        found = self._store.sums(name, windows)
        if found is None:
            raise ProjectNotFound(name)
        if query.period is Period.TOTAL:
            return found.total_downloads if query.mirrors else found.total_non_mirror_downloads
        sums = found.windows[0]
        return sums.downloads if query.mirrors else sums.non_mirror_downloads
