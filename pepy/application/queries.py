"""Queries: the read side. Each is a small immutable object with a handler that returns a read model,
read through the ProjectReadStore port. Handlers hold the rules (windows, caps, validation); SQL lives in the
store."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pepy.domain.downloads import FIRST_DAY, Breakdown
from pepy.domain.errors import DomainError, ProjectNotFound
from pepy.domain.model import PROJECT_NAME_MAX_LENGTH, ProjectName, sort_versions

Clock = Callable[[], date]
Now = Callable[[], datetime]

# Imports run daily at this hour (UTC): answers stay valid until then.
IMPORT_HOUR_UTC = 17
# The caps on what one request may ask for; the README's API section lists them.
MAX_SERIES_DAYS = 3 * 366
MAX_SERIES_POINTS = 100_000
MAX_LIMIT = 100
MAX_CATEGORY_LENGTH = 100
PYPISTATS_WINDOW_DAYS = 180
TOP_VERSIONS = 10
WINDOW_DAYS = {"day": 1, "week": 7, "month": 30}


class InvalidParameter(DomainError):
    """A request parameter with a value the query cannot take; the message starts with the parameter's name."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class Period(StrEnum):
    """How far back a badge counts: everything, the last 30 days or the last 7."""

    TOTAL = "total"
    MONTH = "month"
    WEEK = "week"


class Granularity(StrEnum):
    """The bucket of a time series: a day, an ISO week (Monday to Sunday) or a calendar month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# A series can be split by any stored breakdown, or into mirror and non-mirror downloads.
MIRRORS_BREAKDOWN = "mirrors"
SERIES_BREAKDOWNS = (*(b.value for b in Breakdown), MIRRORS_BREAKDOWN)
CATEGORY_BREAKDOWNS = tuple(b.value for b in Breakdown if b is not Breakdown.VERSION)


# Read models ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """When the last import succeeded, and the last day imported (None before the first import)."""

    last_import_at: datetime | None
    last_day: date | None


@dataclass(frozen=True)
class ProjectVersionDownloads:
    """A project's all-time total and its per-version downloads per day (pepy's v2 shape).

    `downloads_json` is the JSON object {"YYYY-MM-DD": {version: downloads}} in day order, built by the store
    because the heaviest projects have hundreds of thousands of cells.
    """

    name: str
    total_downloads: int
    versions: list[str]
    downloads_json: str


@dataclass(frozen=True)
class DayTotal:
    """A project's downloads on one day, with and without mirrors."""

    day: date
    downloads: int
    non_mirror_downloads: int


@dataclass(frozen=True)
class ProjectDays:
    """A project's all-time total and its day totals over a range (days without downloads left out)."""

    name: str
    total_downloads: int
    days: list[DayTotal]


@dataclass(frozen=True)
class WindowSums:
    """Downloads summed over one window of days, with and without mirrors."""

    downloads: int
    non_mirror_downloads: int


@dataclass(frozen=True)
class ProjectSums:
    """A project's all-time figures and its sums over the windows asked for, in the same order."""

    name: str
    total_downloads: int
    base_downloads: int
    windows: list[WindowSums]


@dataclass(frozen=True)
class RecentDownloads:
    """A project's non-mirror downloads per window, keyed last_day, last_week and last_month."""

    name: str
    windows: dict[str, int]


@dataclass(frozen=True)
class CategoryDay:
    """Downloads of one category on one day; category None is the null category."""

    day: date
    category: str | None
    downloads: int


@dataclass(frozen=True)
class CategoryDownloads:
    """A project's downloads per day and category (pypistats.org's breakdown shape)."""

    name: str
    rows: list[CategoryDay]


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
    breakdown: str | None
    mirrors: bool
    versions: str | None
    points: list[SeriesPoint]


@dataclass(frozen=True)
class VersionTotal:
    """One version's downloads over a window."""

    version: str
    downloads: int


@dataclass(frozen=True)
class ProjectSpan:
    """A project's all-time total and the first and last days it has downloads on."""

    name: str
    total_downloads: int
    first_day: date | None
    last_day: date | None


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
class ProjectDownloads:
    """A project's name and downloads over some window."""

    name: str
    downloads: int


@dataclass(frozen=True)
class TopProjects:
    """The most downloaded projects over a window, most first."""

    period: str
    start: date
    end: date
    projects: list[ProjectDownloads]


@dataclass(frozen=True)
class CacheValidity:
    """What an answer's caching depends on: the last successful import, today, and when the next import runs."""

    last_import_at: datetime | None
    today: date
    seconds_until_next_import: int


# The port ---------------------------------------------------------------------------------------------------


class ProjectReadStore(ABC):
    """Read-only access to stored downloads, for queries. `name` is always PEP 503-normalised; every day range
    is inclusive; a project that is not stored answers None."""

    @abstractmethod
    def freshness(self) -> Freshness:
        """The last successful import and the last imported day."""

    @abstractmethod
    def version_downloads(self, name: str, start: date, end: date) -> ProjectVersionDownloads | None:
        """A project's per-version daily downloads between two days."""

    @abstractmethod
    def day_totals(self, name: str, start: date, end: date) -> ProjectDays | None:
        """A project's daily totals between two days, oldest first."""

    @abstractmethod
    def sums(self, name: str, windows: list[tuple[date, date]]) -> ProjectSums | None:
        """A project's downloads summed over each window."""

    @abstractmethod
    def category_days(
        self, name: str, breakdown: str, start: date, end: date, category: str | None, any_category: bool
    ) -> CategoryDownloads | None:
        """Non-mirror downloads per day and category of one breakdown (days then categories in order).

        Unless any_category, only `category` is kept, compared without regard to case (None: the null category).
        """

    @abstractmethod
    def versions(self, name: str, start: date, end: date) -> list[str] | None:
        """The versions a project has downloads of between two days."""

    @abstractmethod
    def series(
        self,
        name: str,
        start: date,
        end: date,
        granularity: Granularity,
        breakdown: str | None,
        versions: list[str] | None,
        mirrors: bool,
        max_rows: int,
    ) -> list[tuple[date, str | None, int]] | None:
        """(bucket's first day, category, downloads) rows, at most max_rows + 1 of them; category is None without
        a breakdown. `versions`, when given, keeps only those versions."""

    @abstractmethod
    def span(self, name: str) -> ProjectSpan | None:
        """A project's total and the first and last days it has downloads on."""

    @abstractmethod
    def top_versions(self, name: str, start: date, end: date, limit: int) -> list[VersionTotal] | None:
        """A project's most downloaded versions between two days, most first."""

    @abstractmethod
    def top_projects(self, start: date, end: date, limit: int) -> list[ProjectDownloads]:
        """The most downloaded projects between two days, most first."""

    @abstractmethod
    def search(self, prefix: str, limit: int) -> list[ProjectDownloads]:
        """Projects whose name starts with the prefix, by all-time downloads, most first."""

    @abstractmethod
    def is_available(self) -> bool:
        """Whether the store answers."""


# Rules shared by the handlers -------------------------------------------------------------------------------


def v2_window_start(today: date) -> date:
    """pepy's v2 window: from the first day of the month that was 90 days ago."""
    return (today - timedelta(days=90)).replace(day=1)


def last_day(store: ProjectReadStore, clock: Clock) -> date:
    """The day windows end on: the last imported day, or yesterday before any import."""
    return store.freshness().last_day or clock() - timedelta(days=1)


def window(end: date, days: int) -> tuple[date, date]:
    """The `days` days ending on `end`, both included."""
    return end - timedelta(days=days - 1), end


def project_name(name: str) -> str:
    """The PEP 503-normalised name, or InvalidProjectName."""
    return ProjectName(name).value


def check_limit(limit: int) -> int:
    """A limit between 1 and MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit


def check_day(parameter: str, day: date | None, today: date) -> date | None:
    """A day PyPI can have downloads for: from its first day up to today."""
    if day is not None and not FIRST_DAY <= day <= today:
        raise InvalidParameter(parameter, f"must be between {FIRST_DAY} and today ({today}), not {day}")
    return day


def check_range(start: date, end: date, max_days: int) -> None:
    """A range within the stored history's bounds and at most max_days long."""
    if start < FIRST_DAY:
        raise InvalidParameter("start", f"must be {FIRST_DAY} or later, the first day PyPI has downloads for")
    if end < start:
        raise InvalidParameter("end", f"{end} is before the start {start}")
    if (end - start).days + 1 > max_days:
        raise InvalidParameter("end", f"the range is {(end - start).days + 1} days; at most {max_days} are allowed")


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


# Handlers ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GetProject:
    """A project's v2 view; with all_days, every stored day rather than pepy's window."""

    name: str
    all_days: bool = False


class GetProjectHandler:
    """Normalises the name, reads the window, and orders versions as PEP 440 does."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

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


class GetDailyDownloadsHandler:
    """Reads the 30 days ending on the last imported day."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetDailyDownloads) -> ProjectDays:
        name = project_name(query.name)
        found = self._store.day_totals(name, *window(last_day(self._store, self._clock), WINDOW_DAYS["month"]))
        if found is None:
            raise ProjectNotFound(name)
        return found


@dataclass(frozen=True)
class GetBadgeCount:
    """The number a badge shows: downloads over a period, with or without mirrors."""

    name: str
    period: Period = Period.TOTAL
    mirrors: bool = True


class GetBadgeCountHandler:
    """Total from the all-time figure; month and week from the day totals ending on the last imported day.

    Without mirrors, the total is the base (downloads before the first imported day, whose mirror share is
    unknown) plus every stored day's non-mirror downloads.
    """

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetBadgeCount) -> int:
        name = project_name(query.name)
        end = last_day(self._store, self._clock)
        span = (FIRST_DAY, end) if query.period is Period.TOTAL else window(end, WINDOW_DAYS[query.period.value])
        # The all-time total with mirrors is stored as such: no day needs reading.
        found = self._store.sums(name, [] if query.period is Period.TOTAL and query.mirrors else [span])
        if found is None:
            raise ProjectNotFound(name)
        if query.period is Period.TOTAL:
            return (
                found.total_downloads if query.mirrors else found.base_downloads + found.windows[0].non_mirror_downloads
            )
        sums = found.windows[0]
        return sums.downloads if query.mirrors else sums.non_mirror_downloads


@dataclass(frozen=True)
class GetRecentDownloads:
    """pypistats.org's recent view: non-mirror downloads of the last day, week and month (or just one)."""

    name: str
    period: str | None = None


class GetRecentDownloadsHandler:
    """Sums the three windows ending on the last imported day in one read."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetRecentDownloads) -> RecentDownloads:
        if query.period is not None and query.period not in WINDOW_DAYS:
            raise InvalidParameter("period", f"must be day, week or month, not {query.period!r}")
        name = project_name(query.name)
        periods = [query.period] if query.period else list(WINDOW_DAYS)
        end = last_day(self._store, self._clock)
        found = self._store.sums(name, [window(end, WINDOW_DAYS[p]) for p in periods])
        if found is None:
            raise ProjectNotFound(name)
        return RecentDownloads(
            name, {f"last_{p}": s.non_mirror_downloads for p, s in zip(periods, found.windows, strict=True)}
        )


def pypistats_range(start: date | None, end: date | None, last: date, today: date) -> tuple[date, date]:
    """pypistats.org's 180 days ending on the last imported day, narrowed or moved by start and end dates."""
    start, end = check_day("start_date", start, today), check_day("end_date", end, today) or last
    start = start or end - timedelta(days=PYPISTATS_WINDOW_DAYS - 1)
    check_range(start, end, MAX_SERIES_DAYS)
    return start, end


@dataclass(frozen=True)
class GetOverallDownloads:
    """pypistats.org's overall view: daily downloads with mirrors, without, or both (mirrors None)."""

    name: str
    mirrors: bool | None = None
    start: date | None = None
    end: date | None = None


class GetOverallDownloadsHandler:
    """Reads the day totals and splits them into the with_mirrors and without_mirrors categories."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetOverallDownloads) -> CategoryDownloads:
        name = project_name(query.name)
        start, end = pypistats_range(query.start, query.end, last_day(self._store, self._clock), self._clock())
        found = self._store.day_totals(name, start, end)
        if found is None:
            raise ProjectNotFound(name)
        rows = []
        for day in found.days:
            if query.mirrors in (None, True):
                rows.append(CategoryDay(day.day, "with_mirrors", day.downloads))
            if query.mirrors in (None, False):
                rows.append(CategoryDay(day.day, "without_mirrors", day.non_mirror_downloads))
        return CategoryDownloads(found.name, rows)


@dataclass(frozen=True)
class GetCategoryDownloads:
    """pypistats.org's python_major, python_minor and system views: non-mirror downloads per day and category.

    `category` keeps one category (the string "null" is the null category); None keeps them all.
    """

    name: str
    breakdown: str
    category: str | None = None
    start: date | None = None
    end: date | None = None


class GetCategoryDownloadsHandler:
    """Validates the breakdown and category, and reads the window."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetCategoryDownloads) -> CategoryDownloads:
        if query.breakdown not in CATEGORY_BREAKDOWNS:
            raise InvalidParameter("breakdown", f"must be one of {', '.join(CATEGORY_BREAKDOWNS)}")
        if query.category is not None and not 1 <= len(query.category) <= MAX_CATEGORY_LENGTH:
            raise InvalidParameter("category", f"must be 1 to {MAX_CATEGORY_LENGTH} characters long")
        name = project_name(query.name)
        start, end = pypistats_range(query.start, query.end, last_day(self._store, self._clock), self._clock())
        category = None if query.category is None or query.category.lower() == "null" else query.category
        found = self._store.category_days(name, query.breakdown, start, end, category, query.category is None)
        if found is None:
            raise ProjectNotFound(name)
        return found


@dataclass(frozen=True)
class GetDownloadSeries:
    """A time series of a project's downloads over any stored range (start and end default to the 30 days
    ending on the last imported day), by day, ISO week or month, optionally split by a breakdown or
    restricted to versions matching PEP 440 specifiers."""

    name: str
    start: date | None = None
    end: date | None = None
    granularity: Granularity = Granularity.DAY
    breakdown: str | None = None
    versions: str | None = None
    mirrors: bool = True


class GetDownloadSeriesHandler:
    """Validates the options, reads bucketed rows, and fills every bucket of the range (zero when empty)."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetDownloadSeries) -> DownloadSeries:
        name = project_name(query.name)
        if query.breakdown is not None and query.breakdown not in SERIES_BREAKDOWNS:
            raise InvalidParameter("breakdown", f"must be one of {', '.join(SERIES_BREAKDOWNS)}")
        if query.versions is not None and query.breakdown not in (None, Breakdown.VERSION.value):
            raise InvalidParameter("versions", "filters versions, so it only goes with breakdown=version or none")
        if query.breakdown == MIRRORS_BREAKDOWN and not query.mirrors:
            raise InvalidParameter("mirrors", "cannot be false with breakdown=mirrors")
        matches = version_filter(query.versions) if query.versions is not None else None
        today = self._clock()
        end = check_day("end", query.end, today) or last_day(self._store, self._clock)
        start = check_day("start", query.start, today) or end - timedelta(days=WINDOW_DAYS["month"] - 1)
        check_range(start, end, MAX_SERIES_DAYS)
        versions = None
        if matches is not None:
            stored = self._store.versions(name, start, end)
            if stored is None:
                raise ProjectNotFound(name)
            versions = [v for v in stored if matches(v)]
        rows = self._store.series(
            name, start, end, query.granularity, query.breakdown, versions, query.mirrors, MAX_SERIES_POINTS
        )
        if rows is None:
            raise ProjectNotFound(name)
        if len(rows) > MAX_SERIES_POINTS:
            raise InvalidParameter(
                "end",
                f"the answer would exceed {MAX_SERIES_POINTS} points; "
                "shorten the range, use a coarser granularity or filter versions",
            )
        by_bucket: dict[date, dict[str | None, int]] = {}
        for bucket, category, downloads in rows:
            by_bucket.setdefault(bucket, {})[category] = downloads
        points = []
        for bucket_start, bucket_end in buckets(start, end, query.granularity):
            found = by_bucket.get(bucket_start, {})
            first, last = max(bucket_start, start), min(bucket_end, end)
            points.append(
                SeriesPoint(
                    period=period_label(bucket_start, query.granularity),
                    start=first,
                    end=last,
                    partial=(first, last) != (bucket_start, bucket_end),
                    downloads=sum(found.values()),
                    categories=found if query.breakdown else {},
                )
            )
        return DownloadSeries(
            name, start, end, query.granularity, query.breakdown, query.mirrors, query.versions, points
        )


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
            following = (first + timedelta(days=32)).replace(day=1)
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


class GetProjectSummaryHandler:
    """Sums the recent windows, finds the project's stored span and its top versions of the last month."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetProjectSummary) -> ProjectSummary:
        name = project_name(query.name)
        end = last_day(self._store, self._clock)
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


class GetTopProjectsHandler:
    """Ranks projects by their day totals over the window ending on the last imported day."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetTopProjects) -> TopProjects:
        if query.period not in WINDOW_DAYS:
            raise InvalidParameter("period", f"must be day, week or month, not {query.period!r}")
        limit = check_limit(query.limit)
        start, end = window(last_day(self._store, self._clock), WINDOW_DAYS[query.period])
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


@dataclass(frozen=True)
class GetCacheValidity:
    """What the answers' caching headers depend on."""


class GetCacheValidityHandler:
    """The last successful import, today, and the seconds until the next daily import is due."""

    def __init__(self, store: ProjectReadStore, clock: Clock, now: Now):
        self._store = store
        self._clock = clock
        self._now = now

    def __call__(self, query: GetCacheValidity) -> CacheValidity:
        now = self._now()
        next_import = datetime.combine(now.date(), time(IMPORT_HOUR_UTC), UTC)
        if next_import <= now:
            next_import += timedelta(days=1)
        return CacheValidity(
            self._store.freshness().last_import_at, self._clock(), int((next_import - now).total_seconds())
        )


@dataclass(frozen=True)
class CheckHealth:
    """Whether the service can answer reads."""


class CheckHealthHandler:
    """Asks the read store whether it answers."""

    def __init__(self, store: ProjectReadStore):
        self._store = store

    def __call__(self, query: CheckHealth) -> bool:
        return self._store.is_available()
