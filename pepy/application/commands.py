"""Commands: the write side. Each is a small immutable object with a handler."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pepy.domain.downloads import CompactedMonth, DocumentedMonth, days_between, v2_window_start, validate_import_day
from pepy.domain.errors import DomainError, InvalidImport
from pepy.domain.model import Downloads, ProjectName
from pepy.domain.ports import Clock, DownloadsRepository, DownloadsSource, ImportLedger
from pepy.domain.rankings import RANKINGS

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
class RefreshRankings:
    """Rebuild every ranking (pepy.domain.rankings) from the stored days; with only_if_stale, only when a ranking is
    missing or older than the newest successful import."""

    only_if_stale: bool = False


@dataclass(frozen=True)
class RankingsRefreshed:
    """What a refresh built: the newest import the rankings include, the day they end on, and how long it took."""

    last_import_at: datetime
    last_day: date
    seconds: float


class RefreshRankingsHandler:
    """Builds the rankings on the write side, so that reading one is a single index range.

    Summing a year of days over every project takes seconds to minutes: too slow per request, and the same for
    everyone until the next import. Runs once at the end of each import run, not once per day of it.
    """

    def __init__(self, repository: DownloadsRepository):
        self._repository = repository

    def __call__(self, command: RefreshRankings) -> RankingsRefreshed | None:
        """The build, or None when there was nothing to do (current, or no import has succeeded yet)."""
        if command.only_if_stale and self._repository.rankings_current(RANKINGS):
            return None
        started = time.monotonic()
        built = self._repository.refresh_rankings(RANKINGS)
        if built is None:
            return None
        result = RankingsRefreshed(built.last_import_at, built.last_day, time.monotonic() - started)
        log.info(
            "rankings refreshed",
            extra={"last_day": built.last_day.isoformat(), "seconds": round(result.seconds, 3)},
        )
        return result


@dataclass(frozen=True)
class CompactMonths:
    """Keep the finished months fast to read: store each project's version documents of those v2 still reaches,
    and rewrite in project order those that ended a while ago and changed since their last rewrite, a few per run."""


@dataclass(frozen=True)
class FinishedMonths:
    """What a CompactMonths run did: the months it documented and those it rewrote."""

    documented: list[DocumentedMonth]
    compacted: list[CompactedMonth]


class CompactMonthsHandler:
    """Keeps each project's days of a finished month together: its version documents in one row, for the months
    v2's window reaches, once DOCUMENT_AFTER_DAYS past the month's end (the daily run's re-imports of late rows,
    each of which would drop them); and its days on a few blocks, so that a read of any range touches a few blocks
    instead of one per day.

    A month is rewritten from COMPACT_AFTER_DAYS after its end; at most MONTHS_PER_RUN are rewritten per run, so
    that a first run over years of months spreads over days. A step that fails changes nothing, and is logged: the
    next run tries again.
    """

    DOCUMENT_AFTER_DAYS = 3
    COMPACT_AFTER_DAYS = 7
    MONTHS_PER_RUN = 3

    def __init__(self, repository: DownloadsRepository, clock: Clock):
        self._repository = repository
        self._clock = clock

    def __call__(self, command: CompactMonths) -> FinishedMonths:
        today = self._clock()
        finished = FinishedMonths([], [])
        try:
            finished.documented.extend(
                self._repository.document_months(
                    today - timedelta(days=self.DOCUMENT_AFTER_DAYS), v2_window_start(today)
                )
            )
        except Exception:
            log.exception("month documents failed; the next run tries again")
        try:
            finished.compacted.extend(
                self._repository.compact_months(today - timedelta(days=self.COMPACT_AFTER_DAYS), self.MONTHS_PER_RUN)
            )
        except Exception:
            log.exception("month compaction failed; the next run tries again")
        return finished


@contextlib.contextmanager
def maintained_after(refresh: RefreshRankingsHandler, compact: CompactMonthsHandler) -> Iterator[list[ImportResult]]:
    """Collects an import run's results; when the run ends, rebuilds the rankings if it imported any day, then
    rewrites the finished months that need it.

    Also when a later day failed: the days before it are stored, and one failing day must not keep every
    ranking from moving. A refresh that fails then is logged, and the day's error is what the run raises.
    """
    results: list[ImportResult] = []
    try:
        yield results
    except Exception:
        if results:
            try:
                refresh(RefreshRankings())
            except Exception:
                log.exception("rankings refresh failed after a failed import")
        raise
    if results:
        refresh(RefreshRankings())
        compact(CompactMonths())


@dataclass(frozen=True)
class ImportRange:
    """Import every day from start to end; with skip_existing, days already imported are left as they are."""

    start: date
    end: date
    skip_existing: bool = False
    source: str | None = None
    path: str | None = None


class ImportRangeHandler:
    """Imports days one by one, oldest first, stopping at the first failure so a rerun resumes there; then
    rebuilds the rankings once."""

    def __init__(
        self,
        ledger: ImportLedger,
        import_day: ImportDayHandler,
        refresh_rankings: RefreshRankingsHandler,
        compact_months: CompactMonthsHandler,
        clock: Clock,
    ):
        self._ledger = ledger
        self._import_day = import_day
        self._refresh_rankings = refresh_rankings
        self._compact_months = compact_months
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
        with maintained_after(self._refresh_rankings, self._compact_months) as results:
            for day in self.days_to_import(command) if days is None else days:
                results.append(self._import_day(ImportDay(day, command.source, command.path)))
                yield results[-1]


@dataclass(frozen=True)
class ImportDaily:
    """The scheduled run: yesterday, the refresh_days before it (late rows arrive), and gaps in the last gap_days."""

    refresh_days: int = 2
    gap_days: int = 30
    wait: bool = False
    source: str | None = None
    path: str | None = None


class ImportDailyHandler:
    """Runs the daily import under a cross-process lock, so two runs never overlap; then rebuilds the rankings."""

    LOCK = "pepy-import-daily"

    def __init__(
        self,
        repository: DownloadsRepository,
        ledger: ImportLedger,
        import_day: ImportDayHandler,
        refresh_rankings: RefreshRankingsHandler,
        compact_months: CompactMonthsHandler,
        clock: Clock,
    ):
        self._repository = repository
        self._ledger = ledger
        self._import_day = import_day
        self._refresh_rankings = refresh_rankings
        self._compact_months = compact_months
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
            with maintained_after(self._refresh_rankings, self._compact_months) as results:
                for day in self.days_to_import(command):
                    results.append(self._import_day(ImportDay(day, command.source, command.path)))
            return results


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
