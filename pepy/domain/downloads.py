"""What an import carries: a day's aggregated rows, one shape for every breakdown."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from pepy.domain.errors import InvalidImport

# The public table's first partition; nothing earlier exists upstream.
FIRST_DAY = date(2016, 1, 22)
MIRROR_INSTALLERS = ("bandersnatch", "z3c.pypimirror", "Artifactory", "devpi")


class Breakdown(StrEnum):
    """The dimensions a day's downloads are split by. VERSION rows also carry pip-only counts."""

    VERSION = "version"
    PYTHON_MAJOR = "python_major"
    PYTHON_MINOR = "python_minor"
    SYSTEM = "system"
    INSTALLER = "installer"
    COUNTRY = "country"
    CI = "ci"
    FILE_TYPE = "file_type"


# The breakdowns whose rows are categories of the day's downloads (every one but VERSION).
CATEGORY_BREAKDOWNS = tuple(b for b in Breakdown if b is not Breakdown.VERSION)


class DayRow(NamedTuple):
    """One category of one breakdown of one project on the imported day.

    `category` is None for the explicit null category (a missing or unparseable value), so that every
    breakdown sums to the project's day total; a missing version is stored as the version "".
    `non_mirror_downloads` counts rows whose installer is not a mirror; a NULL installer is not a mirror.
    `ci_downloads` counts rows whose `details.ci` is true (false and NULL are not CI).
    """

    project: str
    breakdown: Breakdown
    category: str | None
    downloads: int
    non_mirror_downloads: int
    pip_downloads: int
    ci_downloads: int


@dataclass
class DayExport:
    """A source's answer for one day: rows streamed lazily, and what reading them was billed."""

    rows: Iterator[DayRow]
    bytes_billed: int = 0


def validate_import_day(day: date, today: date) -> None:
    """Refuse a day the upstream table cannot hold: before its first partition, or not yet over."""
    if day < FIRST_DAY:
        raise InvalidImport(f"{day} is before {FIRST_DAY}, the first day of the PyPI downloads table")
    if day >= today:
        raise InvalidImport(
            f"{day} is not over yet (today is {today} UTC); import days up to {today - timedelta(days=1)}"
        )


def v2_window_start(today: date) -> date:
    """pepy's v2 window: from the first day of the month that was 90 days ago, so always whole months."""
    return (today - timedelta(days=90)).replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after the one `day` is in."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    if end < start:
        raise InvalidImport(f"The end {end} is before the start {start}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@dataclass(frozen=True)
class CompactedMonth:
    """A month of day totals rewritten in project order: its first day, the rows it holds, and the seconds it took."""

    month: date
    rows: int
    seconds: float


@dataclass(frozen=True)
class DocumentedMonth:
    """A month whose day documents were stored per project: its first day, the projects, and the seconds it took."""

    month: date
    projects: int
    seconds: float
