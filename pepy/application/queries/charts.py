"""What the charts draw, and the comparison of several projects: v3 series, reduced to lines a reader can tell
apart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pepy.application.queries.common import (
    MAX_SERIES_DAYS,
    InvalidParameter,
    ReadHandler,
    check_day,
    check_range,
    open_start,
    project_name,
)
from pepy.application.queries.v3 import (
    DownloadSeries,
    GetDownloadSeries,
    GetDownloadSeriesHandler,
    bucket_start,
    buckets,
    range_buckets,
)
from pepy.domain.downloads import FIRST_DAY, Breakdown
from pepy.domain.errors import ProjectNotFound
from pepy.domain.read_models import Granularity, SeriesBreakdown

# A chart's range when it is named rather than given by start and end; "all" is the project's stored days.
PERIOD_DAYS = {"30d": 30, "90d": 90, "1y": 365}
PERIODS = (*PERIOD_DAYS, "all")
DEFAULT_PERIOD = "90d"
MAX_COMPARED = 10
MAX_TOP = 10
DEFAULT_TOP = 5
# Beyond these many days a chart is drawn by week, and beyond the second by month, unless told otherwise:
# a point per pixel or more is noise to a reader.
DAILY_UP_TO_DAYS = 120
WEEKLY_UP_TO_DAYS = 2 * 366
OTHER = "other"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ChartLine:
    """One line of a chart: its label and a value per point; `other` marks the sum of what the top N left out."""

    label: str
    values: list[int]
    other: bool = False


@dataclass(frozen=True)
class Chart:
    """What a chart draws: the buckets' first days, one line per project or category, and how it was asked."""

    title: str
    start: date
    end: date
    granularity: Granularity
    breakdown: SeriesBreakdown | None
    mirrors: bool
    days: list[date]
    partial: list[bool]
    lines: list[ChartLine]


@dataclass(frozen=True)
class ChartRange:
    """A chart's range: start and end days, or a named period ending on the last imported day."""

    start: date | None = None
    end: date | None = None
    period: str | None = None


@dataclass(frozen=True)
class GetProjectChart:
    """A project's downloads as lines: the total, or its top categories of a breakdown plus "other"."""

    name: str
    range: ChartRange = ChartRange()
    granularity: Granularity | None = None
    breakdown: SeriesBreakdown | None = None
    top: int = DEFAULT_TOP
    mirrors: bool = True


@dataclass(frozen=True)
class GetComparisonChart:
    """Several projects' downloads, one line each."""

    names: tuple[str, ...]
    range: ChartRange = ChartRange()
    granularity: Granularity | None = None
    mirrors: bool = True


@dataclass(frozen=True)
class GetComparison:
    """The v3 series of several projects over the same range and options."""

    names: tuple[str, ...]
    series: GetDownloadSeries


def compared_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """Between one and MAX_COMPARED distinct normalised project names, in the order given."""
    if not 1 <= len(names) <= MAX_COMPARED:
        raise InvalidParameter("projects", f"must name 1 to {MAX_COMPARED} projects, separated by commas")
    normalised = tuple(project_name(name) for name in names)
    for index, name in enumerate(normalised):
        if name in normalised[:index]:
            raise InvalidParameter("projects", f"names {name!r} more than once")
    return normalised


def default_granularity(start: date, end: date) -> Granularity:
    """Days for a few months, weeks up to two years, months beyond."""
    days = (end - start).days + 1
    if days <= DAILY_UP_TO_DAYS:
        return Granularity.DAY
    return Granularity.WEEK if days <= WEEKLY_UP_TO_DAYS else Granularity.MONTH


def top_lines(series: DownloadSeries, top: int) -> list[ChartLine]:
    """The `top` categories with the most downloads over the series (ties by name), then "other" if any remain."""
    totals: dict[str | None, int] = {}
    for point in series.points:
        for category, downloads in point.categories.items():
            totals[category] = totals.get(category, 0) + downloads
    ranked = sorted(totals, key=lambda c: (-totals[c], "" if c is None else c))
    shown = ranked[:top]
    lines = [ChartLine(UNKNOWN if c is None else c, [p.categories.get(c, 0) for p in series.points]) for c in shown]
    if len(ranked) > top:
        rest = [p.downloads - sum(p.categories.get(c, 0) for c in shown) for p in series.points]
        lines.append(ChartLine(OTHER, rest, other=True))
    return lines


class _ChartHandler(ReadHandler):
    """Resolves a chart's range, and reads series through the v3 series handler, so a chart draws exactly what
    the API answers."""

    def __init__(self, store, ledger, clock):
        super().__init__(store, ledger, clock)
        self._series = GetDownloadSeriesHandler(store, ledger, clock)

    def _range(
        self, chart_range: ChartRange, names: tuple[str, ...], granularity: Granularity | None
    ) -> tuple[date, date, Granularity]:
        """The range and granularity; a named range starts on a bucket's first day, so that only the last
        bucket (the week or month still running) is cut short."""
        start, end = self._resolve(chart_range, names)
        granularity = granularity or default_granularity(start, end)
        if chart_range.start or chart_range.end:
            check_day("start", start, self._clock())
            check_range(start, end, MAX_SERIES_DAYS)
            return start, end, granularity
        aligned = bucket_start(start, granularity)
        if aligned < FIRST_DAY or (end - aligned).days + 1 > MAX_SERIES_DAYS:
            # Back to the bucket's start would pass PyPI's first day or the cap: on to the next bucket instead.
            following = buckets(start, start, granularity)[0][1] + timedelta(days=1)
            aligned = following if following <= end else start
        return aligned, end, granularity

    def _resolve(self, chart_range: ChartRange, names: tuple[str, ...]) -> tuple[date, date]:
        if chart_range.period is not None and (chart_range.start or chart_range.end):
            raise InvalidParameter("period", "names a range: give either period or start and end, not both")
        if chart_range.period is not None and chart_range.period not in PERIODS:
            raise InvalidParameter("period", f"must be one of {', '.join(PERIODS)}, not {chart_range.period!r}")
        if chart_range.start or chart_range.end:
            end = check_day("end", chart_range.end, self._clock()) or self.last_day()
            return chart_range.start or open_start(end, PERIOD_DAYS[DEFAULT_PERIOD]), end
        end = self.last_day()
        period = chart_range.period or DEFAULT_PERIOD
        if period != "all":
            return open_start(end, PERIOD_DAYS[period]), end
        firsts = []
        for name in names:
            span = self._store.span(name)
            if span is None:
                raise ProjectNotFound(name)
            firsts.append(span.first_day or end)
        # The whole stored history, as far back as a series may reach.
        return max(min(firsts), end - timedelta(days=MAX_SERIES_DAYS - 1)), end


class GetProjectChartHandler(_ChartHandler):
    """The project's series over the chart's range, as one line or its top categories plus "other"."""

    def __call__(self, query: GetProjectChart) -> Chart:
        if not 1 <= query.top <= MAX_TOP:
            raise InvalidParameter("top", f"must be between 1 and {MAX_TOP}, not {query.top}")
        name = project_name(query.name)
        start, end, granularity = self._range(query.range, (name,), query.granularity)
        if query.breakdown is Breakdown.VERSION:
            days, partial, lines = self._version_lines(name, start, end, granularity, query.top, query.mirrors)
        else:
            options = GetDownloadSeries(name, start, end, granularity, query.breakdown, None, query.mirrors)
            series = self._series(options)
            days, partial = _days(series)
            if query.breakdown is None:
                lines = [ChartLine(name, [p.downloads for p in series.points])]
            else:
                lines = top_lines(series, query.top)
        return Chart(name, start, end, granularity, query.breakdown, query.mirrors, days, partial, lines)

    def _version_lines(
        self, name: str, start: date, end: date, granularity: Granularity, top: int, mirrors: bool
    ) -> tuple[list[date], list[bool], list[ChartLine]]:
        """The buckets' first days within the range, which of them the range cuts, and the top versions of the range
        (by their downloads) per bucket, and "other": the total less them.

        One read of the range's days, each with its split by version, ranks the versions and sums the buckets: a
        project can have thousands of versions a day, and only the top ones become lines.
        """
        days = self._store.version_days(name, start, end, mirrors)
        if days is None:
            raise ProjectNotFound(name)
        sums: dict[str, int] = defaultdict(int)
        for day in days:
            for version, downloads in day.versions.items():
                sums[version] += downloads
        ranked = sorted(sums, key=lambda version: (-sums[version], version))
        shown = ranked[:top]
        totals: dict[date, int] = defaultdict(int)
        by_version: dict[tuple[date, str], int] = defaultdict(int)
        for day in days:
            bucket = bucket_start(day.day, granularity)
            totals[bucket] += day.downloads
            for version in shown:
                by_version[bucket, version] += day.versions.get(version, 0)
        # The buckets as the v3 series has them, without building its labelled points.
        spans = range_buckets(start, end, granularity)
        lines = [ChartLine(v, [by_version[b.first_day, v] for b in spans]) for v in shown]
        if len(ranked) > top:
            rest = [totals[b.first_day] - sum(line.values[i] for line in lines) for i, b in enumerate(spans)]
            lines.append(ChartLine(OTHER, rest, other=True))
        return [b.start for b in spans], [b.partial for b in spans], lines


class GetComparisonChartHandler(_ChartHandler):
    """Each project's series over the same range, one line each, in the order asked."""

    def __call__(self, query: GetComparisonChart) -> Chart:
        names = compared_names(query.names)
        start, end, granularity = self._range(query.range, names, query.granularity)
        lines, series = [], None
        for name in names:
            series = self._series(GetDownloadSeries(name, start, end, granularity, None, None, query.mirrors))
            lines.append(ChartLine(name, [p.downloads for p in series.points]))
        return Chart(" vs ".join(names), start, end, granularity, None, query.mirrors, *_days(series), lines)


class GetComparisonHandler(ReadHandler):
    """Runs the same series query for each project; an unknown project fails the whole comparison."""

    def __init__(self, store, ledger, clock):
        super().__init__(store, ledger, clock)
        self._series = GetDownloadSeriesHandler(store, ledger, clock)

    def __call__(self, query: GetComparison) -> list[DownloadSeries]:
        return [self._series(replace(query.series, name=name)) for name in compared_names(query.names)]


def _days(series: DownloadSeries) -> tuple[list[date], list[bool]]:
    return [point.start for point in series.points], [point.partial for point in series.points]
