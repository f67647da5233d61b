"""Commands: the write side. Each is a small immutable object with a handler."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from pepy.domain.downloads import days_between, validate_import_day
from pepy.domain.errors import DomainError, InvalidImport
from pepy.domain.model import Downloads, ProjectName
from pepy.domain.ports import Clock, DownloadsRepository, DownloadsSource, ImportLedger

log = logging.getLogger(__name__)

SourceFactory = Callable[[str | None, str | None], DownloadsSource]


class ImportAlreadyRunning(DomainError):
    """Another process holds the daily import's lock."""


@dataclass(frozen=True)
class ImportResult:
    """What one day's import did."""

    day: date
    source: str
    rows_written: int
    bytes_billed: int
    seconds: float


@dataclass(frozen=True)
class ImportDay:
    """Import one UTC day from a source, replacing whatever was stored for it."""

    day: date
    source: str | None = None
    path: str | None = None


class ImportDayHandler:
    """Reads a day from its source and replaces it in the store, recording the attempt in the ledger."""

    def __init__(
        self,
        repository: DownloadsRepository,
        ledger: ImportLedger,
        sources: SourceFactory,
        clock: Clock,
        retention_days: int,
    ):
        self._repository = repository
        self._ledger = ledger
        self._sources = sources
        self._clock = clock
        self._retention_days = retention_days

    def __call__(self, command: ImportDay) -> ImportResult:
        today = self._clock()
        validate_import_day(command.day, today)
        source = self._sources(command.source, command.path)
        started = time.monotonic()
        log.info("import started", extra={"day": command.day.isoformat(), "source": source.name})
        with self._repository.day_lock(command.day):
            self._ledger.record_start(command.day, source.name)
            try:
                export = source.read_day(command.day)
                rows = self._repository.replace_day(command.day, source.name, export.rows, export.bytes_billed)
            except Exception as error:
                self._ledger.record_failure(command.day, f"{type(error).__name__}: {error}")
                log.error(
                    "import failed",
                    extra={"day": command.day.isoformat(), "source": source.name, "error": str(error)},
                )
                raise
        if self._retention_days:
            self._repository.purge_before(today - timedelta(days=self._retention_days))
        result = ImportResult(command.day, source.name, rows, export.bytes_billed, time.monotonic() - started)
        log.info(
            "import finished",
            extra={
                "day": command.day.isoformat(),
                "source": source.name,
                "rows": rows,
                "bytes_billed": export.bytes_billed,
                "seconds": round(result.seconds, 3),
            },
        )
        return result


@dataclass(frozen=True)
class ImportRange:
    """Import every day from start to end; with skip_existing, days already imported are left as they are."""

    start: date
    end: date
    skip_existing: bool = False
    source: str | None = None
    path: str | None = None


class ImportRangeHandler:
    """Imports days one by one, oldest first, stopping at the first failure so a rerun resumes there."""

    def __init__(self, ledger: ImportLedger, import_day: ImportDayHandler, clock: Clock):
        self._ledger = ledger
        self._import_day = import_day
        self._clock = clock

    def days_to_import(self, command: ImportRange) -> list[date]:
        """The days the command will import, after validation and skipping."""
        days = days_between(command.start, command.end)
        today = self._clock()
        for day in (days[0], days[-1]):
            validate_import_day(day, today)
        if command.skip_existing:
            done = self._ledger.entries(command.start, command.end)
            days = [d for d in days if d not in done or not done[d].succeeded]
        return days

    def __call__(self, command: ImportRange, days: Iterable[date] | None = None) -> Iterator[ImportResult]:
        for day in self.days_to_import(command) if days is None else days:
            yield self._import_day(ImportDay(day, command.source, command.path))


@dataclass(frozen=True)
class ImportDaily:
    """The scheduled run: yesterday, the refresh_days before it (late rows arrive), and gaps in the last gap_days."""

    refresh_days: int = 2
    gap_days: int = 30
    wait: bool = False
    source: str | None = None
    path: str | None = None


class ImportDailyHandler:
    """Runs the daily import under a cross-process lock, so two runs never overlap."""

    LOCK = "pepy-import-daily"

    def __init__(
        self, repository: DownloadsRepository, ledger: ImportLedger, import_day: ImportDayHandler, clock: Clock
    ):
        self._repository = repository
        self._ledger = ledger
        self._import_day = import_day
        self._clock = clock

    def days_to_import(self, command: ImportDaily) -> list[date]:
        """Yesterday and the refresh days, newest first, then the older gaps."""
        if command.refresh_days < 0 or command.gap_days < 0:
            raise InvalidImport("refresh_days and gap_days cannot be negative")
        yesterday = self._clock() - timedelta(days=1)
        recent = [yesterday - timedelta(days=n) for n in range(command.refresh_days + 1)]
        window_start = yesterday - timedelta(days=max(command.gap_days - 1, 0))
        ledger = self._ledger.entries(window_start, yesterday)
        gaps = [
            day
            for day in reversed(days_between(window_start, yesterday))
            if day not in recent and (day not in ledger or not ledger[day].succeeded)
        ]
        return recent + gaps

    def __call__(self, command: ImportDaily) -> list[ImportResult]:
        with self._repository.exclusive_lock(self.LOCK, wait=command.wait) as acquired:
            if not acquired:
                raise ImportAlreadyRunning("Another daily import is running; this run changed nothing")
            return [
                self._import_day(ImportDay(day, command.source, command.path)) for day in self.days_to_import(command)
            ]


@dataclass(frozen=True)
class LoadBaseTotals:
    """Set the all-time base of projects: downloads from before the first imported day."""

    totals: Iterable[tuple[ProjectName, Downloads]]


class LoadBaseTotalsHandler:
    """Replaces the bases of the given projects in one transaction; totals move by the difference."""

    def __init__(self, repository: DownloadsRepository):
        self._repository = repository

    def __call__(self, command: LoadBaseTotals) -> int:
        return self._repository.replace_base_totals(command.totals)
