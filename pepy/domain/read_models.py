"""What the read ports answer, and what they are asked: plain, immutable data.

The ports (pepy.domain.ports) return these; the application's query handlers apply their rules to them and
build their own answers from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from pepy.domain.downloads import Breakdown

# The ledger ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """When the last import succeeded, and the last day imported (None before the first import)."""

    last_import_at: datetime | None
    last_day: date | None


@dataclass(frozen=True)
class LedgerEntry:
    """What the import ledger knows of one day: its last attempt."""

    day: date
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_written: int
    bytes_billed: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        """Whether the day's last attempt succeeded: the day is imported."""
        return self.status == "succeeded"


@dataclass(frozen=True)
class LastImport:
    """The most recent successful import of a day, as the ledger recorded it."""

    day: date
    source: str
    started_at: datetime
    finished_at: datetime
    version_rows: int
    category_rows: int
    project_rows: int
    bytes_billed: int

    @property
    def seconds(self) -> float:
        """How long the import took, from its start to its commit."""
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class LedgerSummary:
    """What monitoring needs from the ledger.

    `last_success_at` is the newest success of any day, and `last_imported_day` the newest day with a success;
    `days_by_status` counts days by their last attempt's status (running, succeeded, failed).
    """

    last_import: LastImport | None = None
    last_success_at: datetime | None = None
    last_imported_day: date | None = None
    days_by_status: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplicaLag:
    """How far the read side's database is behind its primary, as it knows it.

    On a replica, `bytes` is the WAL it received and has not replayed yet, and `seconds` the time since the last
    transaction it replayed, counted only while such WAL waits (a replica that replayed all it received is 0
    behind, however long its primary has been quiet). A primary is never behind.
    """

    is_replica: bool
    seconds: float = 0.0
    bytes: int = 0


# A project's downloads ----------------------------------------------------------------------------------------


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
class VersionDocuments:
    """A project's per-version downloads per day, with or without CI, as the JSON object text
    {"YYYY-MM-DD": {version: downloads}} in day order.

    Without CI, a day imported before the CI split existed is left out of the object and listed in
    `days_without_ci_split`: its figures without CI are unknown, not zero.
    """

    name: str
    downloads_json: str
    days_without_ci_split: list[date]


class DayTotal(NamedTuple):
    """A project's downloads on one day, with and without mirrors (a tuple: answers hold hundreds, and a frozen
    dataclass costs several times as much to build)."""

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
    """A project's all-time figures, with mirrors and without, and its sums over the windows asked for, in the
    same order. All time without mirrors is the base (downloads before the first imported day, whose mirror share
    is unknown) plus every stored day's non-mirror downloads."""

    name: str
    total_downloads: int
    total_non_mirror_downloads: int
    windows: list[WindowSums]


class CategoryDay(NamedTuple):
    """Downloads of one category on one day; category None is the null category (a tuple, as DayTotal is)."""

    day: date
    category: str | None
    downloads: int


@dataclass(frozen=True)
class OverallPoints:
    """A project's days as pypistats' overall answer has them (its `data`), built by the store: `points_json` is
    the JSON array's items, `{"category":"with_mirrors","date":"YYYY-MM-DD","downloads":n}` and then its
    without_mirrors twin for each day with downloads, oldest first (one of the two when asked for)."""

    name: str
    points_json: str


@dataclass(frozen=True)
class CategoryDownloads:
    """A project's downloads per day and category (pypistats.org's breakdown shape)."""

    name: str
    rows: list[CategoryDay]


@dataclass(frozen=True)
class VersionTotal:
    """One version's downloads over a window."""

    version: str
    downloads: int


@dataclass(frozen=True)
class VersionDay:
    """A day's downloads and their split by version (empty when the day's detail was purged)."""

    day: date
    downloads: int
    versions: dict[str, int]


@dataclass(frozen=True)
class ProjectSpan:
    """A project's all-time total and the first and last days it has downloads on."""

    name: str
    total_downloads: int
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True)
class ProjectDownloads:
    """A project's name and downloads over some window."""

    name: str
    downloads: int


# Rankings -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedProject:
    """A project's place in a ranking: its downloads over the ranked days; in a trending list also over the days
    before, and its growth score."""

    name: str
    downloads: int
    previous_downloads: int | None = None
    growth: float | None = None


@dataclass(frozen=True)
class BuiltRanking:
    """A ranking as the last refresh built it: the newest import it includes, its days (and for trending the
    days before), the days among them that no import covered, and its first projects in order."""

    last_import_at: datetime
    start: date
    end: date
    previous_start: date | None
    previous_end: date | None
    missing_days: list[date]
    projects: list[RankedProject]


# Time series --------------------------------------------------------------------------------------------------


class Granularity(StrEnum):
    """The bucket of a time series: a day, an ISO week (Monday to Sunday) or a calendar month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class MirrorSplit(StrEnum):
    """A series split into mirror and non-mirror downloads: derived from the day totals, not a stored breakdown."""

    MIRRORS = "mirrors"


# What a series can be split by; split by mirrors, its categories are "mirror" and "non_mirror".
SeriesBreakdown = Breakdown | MirrorSplit


@dataclass(frozen=True)
class SeriesRequest:
    """What a time series reads: one project's downloads over a day range, bucketed, optionally split.

    `versions`, when given, keeps only those versions (with no breakdown or a version breakdown); `mirrors`
    false counts non-mirror downloads only; at most `max_rows` + 1 rows are read, so that a store can tell
    "too many" without reading them all.
    """

    name: str
    start: date
    end: date
    granularity: Granularity
    breakdown: SeriesBreakdown | None
    versions: tuple[str, ...] | None
    mirrors: bool
    max_rows: int
