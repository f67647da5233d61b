"""Every port: what an adapter must implement, for the write side, the read side and access.

Adapters raise DatabaseUnavailable when their store does not answer and DatabaseTimeout when a statement ran
too long (pepy.domain.errors), never their driver's errors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime

from pepy.domain.access import ApiKey, Charge, Decision, Tier
from pepy.domain.downloads import Breakdown, CompactedMonth, DayExport, DayRow, DocumentedMonth
from pepy.domain.model import Downloads, ProjectName
from pepy.domain.rankings import Ranking, RankingsBuilt
from pepy.domain.read_models import (
    BuiltRanking,
    CategoryDownloads,
    Freshness,
    LedgerEntry,
    LedgerSummary,
    OverallPoints,
    ProjectDays,
    ProjectDownloads,
    ProjectSpan,
    ProjectSums,
    ProjectVersionDownloads,
    ReplicaLag,
    SeriesRequest,
    VersionDay,
    VersionDocuments,
    VersionTotal,
)

# Today's date in UTC (pepy's days are UTC days), and the current time, timezone-aware in UTC.
Clock = Callable[[], date]
Now = Callable[[], datetime]


# The write side -----------------------------------------------------------------------------------------------


class DownloadsSource(ABC):
    """Where a day's raw downloads come from, aggregated into DayRows."""

    name: str

    @abstractmethod
    def read_day(self, day: date) -> DayExport:
        """Aggregate one UTC day [day 00:00, day+1 00:00)."""


class DownloadsRepository(ABC):
    """The write side's store of days and totals."""

    @abstractmethod
    def replace_day(self, day: date, source: str, rows: Iterable[DayRow], bytes_billed: int) -> int:
        """Replace everything stored for a day with the given rows, and record the ledger's success, in one
        transaction; returns rows written.

        The all-time totals move by the difference between the new and the old day, so replacing the
        same day twice leaves the same state.
        """

    @abstractmethod
    def replace_base_totals(self, totals: Iterable[tuple[ProjectName, Downloads]]) -> int:
        """Set the all-time base of the given projects, atomically; returns how many were set."""

    @abstractmethod
    def purge_before(self, day: date) -> None:
        """Drop per-version and breakdown rows older than the day; day totals are kept forever."""

    @abstractmethod
    def compact_months(self, ended_before: date, limit: int) -> list[CompactedMonth]:
        """Rewrite the day totals of up to `limit` months that ended before the day and changed since they were last
        rewritten (newest first), so that each project's days of a month lie together; reads of a project's range
        then touch a few blocks rather than one per day."""

    @abstractmethod
    def document_months(self, ended_before: date, oldest: date) -> list[DocumentedMonth]:
        """Store each project's version documents of every month from `oldest`'s that ended before the day and is
        not stored yet, one row per project and month (newest first); drop those of months before `oldest`'s."""

    @abstractmethod
    def refresh_rankings(self, rankings: Sequence[Ranking]) -> RankingsBuilt | None:
        """Replace every stored ranking with the given ones, built from the stored days in one snapshot, and
        record the newest successful import they include; None (and no rankings) before any import succeeded."""

    @abstractmethod
    def rankings_current(self, rankings: Sequence[Ranking]) -> bool:
        """Whether each of the rankings is stored and built from the newest successful import."""

    @abstractmethod
    def exclusive_lock(self, name: str, wait: bool) -> AbstractContextManager[bool]:
        """A lock held across processes; yields whether it was acquired."""

    @abstractmethod
    def day_lock(self, day: date) -> AbstractContextManager[bool]:
        """Held while a day is imported, so the ledger can tell a running import from an interrupted one."""


class ImportLedger(ABC):
    """The import ledger: one entry a day, its last attempt. Written by imports, read by everyone."""

    @abstractmethod
    def record_start(self, day: date, source: str) -> None:
        """Mark a day's import as running, before any data is written."""

    @abstractmethod
    def record_failure(self, day: date, error: str) -> None:
        """Mark a day's running import as failed, with the reason."""

    @abstractmethod
    def entries(self, start: date, end: date) -> dict[date, LedgerEntry]:
        """The entries of the days from start to end; a running day whose importer is gone reads as failed."""

    @abstractmethod
    def freshness(self) -> Freshness:
        """The last successful import and the last imported day."""

    @abstractmethod
    def summary(self) -> LedgerSummary:
        """What monitoring needs from the ledger."""

    @abstractmethod
    def is_available(self) -> bool:
        """Whether the ledger answers."""


class Replication(ABC):
    """Where the read side's database stands in replication: a replica streaming from the primary, or the
    primary itself."""

    @abstractmethod
    def lag(self) -> ReplicaLag:
        """How far its replay is behind what it received; nothing on a primary."""


# The read side ------------------------------------------------------------------------------------------------


class ProjectReadStore(ABC):
    """Read-only access to stored downloads, for queries. `name` is always PEP 503-normalised; every day range
    is inclusive; a project that is not stored answers None."""

    @abstractmethod
    def version_downloads(self, name: str, start: date, end: date) -> ProjectVersionDownloads | None:
        """A project's per-version daily downloads between two days."""

    @abstractmethod
    def version_documents(self, name: str, start: date, end: date, include_ci: bool) -> VersionDocuments | None:
        """A project's per-version daily downloads between two days, with or without the downloads from CI."""

    @abstractmethod
    def day_totals(self, name: str, start: date, end: date) -> ProjectDays | None:
        """A project's daily totals between two days, oldest first."""

    @abstractmethod
    def overall_points(self, name: str, start: date, end: date, mirrors: bool | None) -> OverallPoints | None:
        """pypistats' overall points between two days: with mirrors, without (`mirrors` False), or both (None)."""

    @abstractmethod
    def sums(self, name: str, windows: list[tuple[date, date]]) -> ProjectSums | None:
        """A project's downloads summed over each window."""

    @abstractmethod
    def category_days(
        self, name: str, breakdown: Breakdown, start: date, end: date, category: str | None, any_category: bool
    ) -> CategoryDownloads | None:
        """Non-mirror downloads per day and category of one breakdown (days then categories in order).

        Unless any_category, only `category` is kept, compared without regard to case (None: the null category).
        """

    @abstractmethod
    def versions(self, name: str, start: date, end: date) -> list[str] | None:
        """The versions a project has downloads of between two days."""

    @abstractmethod
    def series(self, request: SeriesRequest) -> list[tuple[date, str | None, int]] | None:
        """(bucket's first day, category, downloads) rows in that order, buckets with no downloads left out;
        category is None without a breakdown."""

    @abstractmethod
    def span(self, name: str) -> ProjectSpan | None:
        """A project's total and the first and last days it has downloads on."""

    @abstractmethod
    def version_days(self, name: str, start: date, end: date, mirrors: bool) -> list[VersionDay] | None:
        """A project's downloads per day between two days, with mirrors or without, each split by version; days
        in order, days without downloads left out."""

    @abstractmethod
    def top_versions(self, name: str, start: date, end: date, limit: int) -> list[VersionTotal] | None:
        """A project's most downloaded versions between two days, most first."""

    @abstractmethod
    def top_projects(self, start: date, end: date, limit: int) -> list[ProjectDownloads]:
        """The most downloaded projects between two days, most first (ties by name)."""

    @abstractmethod
    def ranking(self, name: str, limit: int) -> BuiltRanking | None:
        """The named ranking as last built, with its first `limit` projects; None if it was never built."""

    @abstractmethod
    def search(self, prefix: str, limit: int) -> list[ProjectDownloads]:
        """Projects whose name starts with the prefix, by all-time downloads, most first."""

    @abstractmethod
    def is_available(self) -> bool:
        """Whether the store answers."""


# Access -------------------------------------------------------------------------------------------------------


class ApiKeyRepository(ABC):
    """Where API keys are kept, by the hash of their secret."""

    @abstractmethod
    def add(self, name: str, secret_hash: str, tier: str, scopes: tuple[str, ...]) -> ApiKey:
        """Store a new key; a name already taken is an InvalidApiKey."""

    @abstractmethod
    def find_active(self, secret_hash: str) -> ApiKey | None:
        """The unrevoked key with this secret hash."""

    @abstractmethod
    def all(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""

    @abstractmethod
    def revoke(self, name: str) -> ApiKey | None:
        """Revoke the named key; None if there is no such active key."""


class RateLimiter(ABC):
    """A limit shared by every process that serves the API."""

    @abstractmethod
    def hit(self, client: str, tier: Tier) -> Decision:
        """Count one request of the client against its tier."""


class SharedRateLimits(ABC):
    """The rate-limit state every API process settles into: one GCRA theoretical arrival time per client."""

    @abstractmethod
    def settle(self, charges: list[Charge]) -> dict[str, float]:
        """Add the admitted requests to each client's state; the seconds each client's state now runs ahead."""
