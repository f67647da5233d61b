"""The rankings the import builds: the top-pypi-packages list and the trending projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pepy.application.queries.common import InvalidParameter, ReadHandler, check_limit
from pepy.domain.errors import RankingUnavailable
from pepy.domain.rankings import TOP_LIST_SIZE, TOP_LISTS, TRENDING, Ranking
from pepy.domain.read_models import BuiltRanking, RankedProject

# How many missing days an error lists before it says "and N more".
_LISTED_DAYS = 5


@dataclass(frozen=True)
class TopPackages:
    """The most downloaded projects of the last 30 or 365 days, with the newest import the list includes.

    `current` is false while the list predates the newest import (an import run has stored a day and not yet
    rebuilt the rankings): the list is still the one `last_update` says, but is about to change.
    """

    days: int
    last_update: datetime
    current: bool
    projects: list[RankedProject]


@dataclass(frozen=True)
class TrendingProjects:
    """The projects whose downloads grew the most against the period before (scored as pepy.domain.rankings
    defines), with both periods' days; `current` as in TopPackages."""

    period: str
    start: date
    end: date
    previous_start: date
    previous_end: date
    current: bool
    projects: list[RankedProject]


class _RankingHandler(ReadHandler):
    def _built(self, ranking: Ranking, limit: int) -> tuple[BuiltRanking, bool]:
        built = self._store.ranking(ranking.name, limit)
        if built is None:
            raise RankingUnavailable(
                "The rankings are not built yet: each import run builds them when it ends, and so does "
                "`pepy db upgrade`"
            )
        return built, built.last_import_at == self._ledger.freshness().last_import_at


@dataclass(frozen=True)
class GetTopPackages:
    """The top-pypi-packages list of the last 30 or 365 days ending on the last imported day."""

    days: int = 30
    limit: int = TOP_LIST_SIZE


class GetTopPackagesHandler(_RankingHandler):
    """Reads the built top list; the days and limit are checked first."""

    def __call__(self, query: GetTopPackages) -> TopPackages:
        if query.days not in TOP_LISTS:
            raise InvalidParameter("days", f"must be {' or '.join(map(str, TOP_LISTS))}, not {query.days}")
        if not 1 <= query.limit <= TOP_LIST_SIZE:
            raise InvalidParameter("limit", f"must be between 1 and {TOP_LIST_SIZE}, not {query.limit}")
        built, current = self._built(TOP_LISTS[query.days], query.limit)
        return TopPackages(query.days, built.last_import_at, current, built.projects)


@dataclass(frozen=True)
class GetTrendingProjects:
    """The projects that grew the most over the last week or month against the one before."""

    period: str = "week"
    limit: int = 10


class GetTrendingProjectsHandler(_RankingHandler):
    """Reads the built trending list, refusing one whose days were not all imported: a missing day in either
    period would read as growth or decline."""

    def __call__(self, query: GetTrendingProjects) -> TrendingProjects:
        if query.period not in TRENDING:
            raise InvalidParameter("period", f"must be {' or '.join(TRENDING)}, not {query.period!r}")
        limit = check_limit(query.limit)
        built, current = self._built(TRENDING[query.period], limit)
        if built.missing_days:
            listed = ", ".join(day.isoformat() for day in built.missing_days[:_LISTED_DAYS])
            more = len(built.missing_days) - _LISTED_DAYS
            raise RankingUnavailable(
                f"Trending over a {query.period} compares {built.previous_start} to {built.previous_end} with "
                f"{built.start} to {built.end}, and {len(built.missing_days)} of those days are not imported: "
                f"{listed}{f' and {more} more' if more > 0 else ''}"
            )
        return TrendingProjects(
            query.period,
            built.start,
            built.end,
            built.previous_start,
            built.previous_end,
            current,
            built.projects,
        )
