"""pepy's own API, v3: time series over any stored range, project summaries, rankings and search."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pepy.application.queries.common import (
    MAX_SERIES_DAYS,
    WINDOW_DAYS,
    InvalidParameter,
    ReadHandler,
    check_day,
    check_limit,
    check_range,
    open_start,
    project_name,
    window,
)
from pepy.domain.downloads import Breakdown, next_month
from pepy.domain.errors import ProjectNotFound
from pepy.domain.model import PROJECT_NAME_MAX_LENGTH
from pepy.domain.ports import ProjectReadStore
from pepy.domain.read_models import (
    Granularity,
    MirrorSplit,
    ProjectDownloads,
    SeriesBreakdown,
    SeriesRequest,
    VersionTotal,
    WindowSums,
)

MAX_SERIES_POINTS = 100_000
TOP_VERSIONS = 10
# A series can be split by any stored breakdown, or into mirror and non-mirror downloads.
SERIES_BREAKDOWNS = (*Breakdown, MirrorSplit.MIRRORS)


def series_breakdown(value: str | None) -> SeriesBreakdown | None:
    """The breakdown a series is split by, from its name (None: not split); an InvalidParameter names the
    choices."""
    if value is None:
        return None
    for breakdown in SERIES_BREAKDOWNS:
        if breakdown.value == value:
            return breakdown
    raise InvalidParameter("breakdown", f"must be one of {', '.join(SERIES_BREAKDOWNS)}")


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of a time series: its label, the days it covers within the range, and its downloads.

    `partial` is true when the range cuts the bucket (a week or month not wholly inside it). `categories` is
    empty without a breakdown; with one it maps each category (None: the null category) to its downloads.
    """

    period: str
    start: date
    end: date
    partial: bool
    downloads: int
    categories: dict[str | None, int]


@dataclass(frozen=True)
class DownloadSeries:
    """A time series of a project's downloads, with the options it was computed with."""

    name: str
    start: date
    end: date
    granularity: Granularity
    breakdown: SeriesBreakdown | None
    mirrors: bool
    versions: str | None
    points: list[SeriesPoint]


@dataclass(frozen=True)
class ProjectSummary:
    """A project's all-time total, recent windows with and without mirrors, top versions, and stored days."""

    name: str
    total_downloads: int
    first_day: date | None
    last_day: date | None
    recent: dict[str, WindowSums]
    top_versions: list[VersionTotal]


@dataclass(frozen=True)
class TopProjects:
    """The most downloaded projects over a window, most first."""

    period: str
    start: date
    end: date
    projects: list[ProjectDownloads]


def version_filter(specifiers: str) -> Callable[[str], bool]:
    """A predicate over version strings from PEP 440 specifiers; a bare version or `2.*` means `==`.

    Pre-releases match like final releases (they were downloaded); strings that are not PEP 440 versions never
    match.
    """
    clauses = [c.strip() for c in specifiers.split(",")]
    if not specifiers.strip() or not all(clauses):
        raise InvalidParameter("versions", "must be PEP 440 specifiers such as '>=2,<3' or '2.*'")
    try:
        spec = SpecifierSet(",".join(c if c[0] in "<>=!~" else f"=={c}" for c in clauses))
    except InvalidSpecifier:
        raise InvalidParameter("versions", f"{specifiers!r} are not PEP 440 specifiers such as '>=2,<3'") from None

    def matches(version: str) -> bool:
        try:
            return spec.contains(Version(version), prereleases=True)
        except InvalidVersion:
            return False

    return matches


@dataclass(frozen=True)
class GetDownloadSeries:
    """A time series of a project's downloads over any stored range (start and end default to the 30 days
    ending on the last imported day), by day, ISO week or month, optionally split by a breakdown or
    restricted to versions matching PEP 440 specifiers."""

    name: str
    start: date | None = None
    end: date | None = None
    granularity: Granularity = Granularity.DAY
    breakdown: SeriesBreakdown | None = None
    versions: str | None = None
    mirrors: bool = True


class GetDownloadSeriesHandler(ReadHandler):
    """Validates the options, reads bucketed rows, and fills every bucket of the range (zero when empty)."""

    def __call__(self, query: GetDownloadSeries) -> DownloadSeries:
        name = project_name(query.name)
        if query.versions is not None and query.breakdown not in (None, Breakdown.VERSION):
            raise InvalidParameter("versions", "filters versions, so it only goes with breakdown=version or none")
        if query.breakdown is MirrorSplit.MIRRORS and not query.mirrors:
            raise InvalidParameter("mirrors", "cannot be false with breakdown=mirrors")
        matches = version_filter(query.versions) if query.versions is not None else None
        today = self._clock()
        end = check_day("end", query.end, today) or self.last_day()
        start = check_day("start", query.start, today) or open_start(end, WINDOW_DAYS["month"])
        check_range(start, end, MAX_SERIES_DAYS)
        versions = None
        if matches is not None:
            stored = self._store.versions(name, start, end)
            if stored is None:
                raise ProjectNotFound(name)
            versions = tuple(v for v in stored if matches(v))
        request = SeriesRequest(
            name, start, end, query.granularity, query.breakdown, versions, query.mirrors, MAX_SERIES_POINTS
        )
        rows = self._store.series(request)
        if rows is None:
            raise ProjectNotFound(name)
        if len(rows) > MAX_SERIES_POINTS:
            raise InvalidParameter(
                "end",
                f"the answer would exceed {MAX_SERIES_POINTS} points; "
                "shorten the range, use a coarser granularity or filter versions",
            )
        points = series_points(start, end, query.granularity, rows, split=query.breakdown is not None)
        return DownloadSeries(
            name, start, end, query.granularity, query.breakdown, query.mirrors, query.versions, points
        )


def series_points(
    start: date, end: date, granularity: Granularity, rows: list[tuple[date, str | None, int]], split: bool
) -> list[SeriesPoint]:
    """Every bucket of the range from (bucket's first day, category, downloads) rows, zero where a bucket has
    none; `split` keeps each point's categories."""
    by_bucket: dict[date, dict[str | None, int]] = {}
    for bucket, category, downloads in rows:
        by_bucket.setdefault(bucket, {})[category] = downloads
    points = []
    for bucket in range_buckets(start, end, granularity):
        found = by_bucket.get(bucket.first_day, {})
        points.append(
            SeriesPoint(
                period=period_label(bucket.first_day, granularity),
                start=bucket.start,
                end=bucket.end,
                partial=bucket.partial,
                downloads=sum(found.values()),
                categories=found if split else {},
            )
        )
    return points


@dataclass(frozen=True)
class RangeBucket:
    """A bucket overlapping a range: its own first day, its first and last days within the range, and whether the
    range cuts it (a week or month not wholly inside)."""

    first_day: date
    start: date
    end: date
    partial: bool


def range_buckets(start: date, end: date, granularity: Granularity) -> list[RangeBucket]:
    """Every bucket of the range, cut to it."""
    cut = []
    for first_day, last_day in buckets(start, end, granularity):
        first, last = max(first_day, start), min(last_day, end)
        cut.append(RangeBucket(first_day, first, last, (first, last) != (first_day, last_day)))
    return cut


def bucket_start(day: date, granularity: Granularity) -> date:
    """The first day of the bucket holding the day: itself, its ISO week's Monday, or its month's first."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def buckets(start: date, end: date, granularity: Granularity) -> list[tuple[date, date]]:
    """Every whole bucket (first and last day) that overlaps the range."""
    result = []
    first = bucket_start(start, granularity)
    while first <= end:
        if granularity is Granularity.WEEK:
            following = first + timedelta(days=7)
        elif granularity is Granularity.MONTH:
            following = next_month(first)
        else:
            following = first + timedelta(days=1)
        result.append((first, following - timedelta(days=1)))
        first = following
    return result


def period_label(first: date, granularity: Granularity) -> str:
    """A bucket's name: 2026-11-20, 2026-W47 (ISO year and week) or 2026-11."""
    if granularity is Granularity.WEEK:
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity is Granularity.MONTH:
        return f"{first:%Y-%m}"
    return first.isoformat()


@dataclass(frozen=True)
class GetProjectSummary:
    """A project's summary: all-time total, last day, week and month, top versions, first and last day."""

    name: str


class GetProjectSummaryHandler(ReadHandler):
    """Sums the recent windows, finds the project's stored span and its top versions of the last month."""

    def __call__(self, query: GetProjectSummary) -> ProjectSummary:
        name = project_name(query.name)
        end = self.last_day()
        sums = self._store.sums(name, [window(end, days) for days in WINDOW_DAYS.values()])
        span = self._store.span(name)
        top = self._store.top_versions(name, *window(end, WINDOW_DAYS["month"]), TOP_VERSIONS)
        if sums is None or span is None or top is None:
            raise ProjectNotFound(name)
        recent = {f"last_{p}": s for p, s in zip(WINDOW_DAYS, sums.windows, strict=True)}
        return ProjectSummary(name, sums.total_downloads, span.first_day, span.last_day, recent, top)


@dataclass(frozen=True)
class GetTopProjects:
    """The most downloaded projects over the last day, week or month."""

    period: str = "month"
    limit: int = 10


class GetTopProjectsHandler(ReadHandler):
    """Ranks projects by their day totals over the window ending on the last imported day."""

    def __call__(self, query: GetTopProjects) -> TopProjects:
        if query.period not in WINDOW_DAYS:
            raise InvalidParameter("period", f"must be day, week or month, not {query.period!r}")
        limit = check_limit(query.limit)
        start, end = window(self.last_day(), WINDOW_DAYS[query.period])
        return TopProjects(query.period, start, end, self._store.top_projects(start, end, limit))


_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_SEPARATORS = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class SearchProjects:
    """Projects whose PEP 503-normalised name starts with the normalised prefix, most downloaded first."""

    prefix: str
    limit: int = 10


class SearchProjectsHandler:
    """Normalises the prefix as names are normalised (a trailing separator is kept as "-")."""

    def __init__(self, store: ProjectReadStore):
        self._store = store

    def __call__(self, query: SearchProjects) -> list[ProjectDownloads]:
        limit = check_limit(query.limit)
        if not 1 <= len(query.prefix) <= PROJECT_NAME_MAX_LENGTH or not _PREFIX.fullmatch(query.prefix):
            raise InvalidParameter(
                "q",
                "must be the start of a project name: ASCII letters, digits, '.', '_' and '-', starting with a "
                f"letter or digit, at most {PROJECT_NAME_MAX_LENGTH} characters",
            )
        return self._store.search(_SEPARATORS.sub("-", query.prefix).lower(), limit)
