"""Ports: the interfaces the application needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime

from pepy.domain.access import ApiKey, Decision, Tier
from pepy.domain.downloads import DayExport, DayRow
from pepy.domain.model import Downloads, ProjectName


class DownloadsSource(ABC):
    """Where a day's raw downloads come from, aggregated into DayRows."""

    name: str

    @abstractmethod
    def read_day(self, day: date) -> DayExport:
        """Aggregate one UTC day [day 00:00, day+1 00:00)."""


@dataclass(frozen=True)
class LedgerEntry:
    """What the import ledger knows of one day."""

    day: date
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_written: int
    bytes_billed: int
    error: str | None


class DownloadsRepository(ABC):
    """The write side's store of days, totals and the import ledger."""

    @abstractmethod
    def replace_day(self, day: date, source: str, rows: Iterable[DayRow], bytes_billed: int) -> int:
        """Replace everything stored for a day with the given rows, atomically; returns rows written.

        The all-time totals move by the difference between the new and the old day, so replacing the
        same day twice leaves the same state.
        """

    @abstractmethod
    def record_start(self, day: date, source: str) -> None:
        """Mark a day's import as running, in the ledger, before any data is written."""

    @abstractmethod
    def record_failure(self, day: date, error: str) -> None:
        """Mark a day's running import as failed, with the reason."""

    @abstractmethod
    def ledger(self, start: date, end: date) -> dict[date, LedgerEntry]:
        """The ledger's entries for the days from start to end."""

    @abstractmethod
    def replace_base_totals(self, totals: Iterable[tuple[ProjectName, Downloads]]) -> int:
        """Set the all-time base of the given projects, atomically; returns how many were set."""

    @abstractmethod
    def purge_before(self, day: date) -> None:
        """Drop per-version and breakdown rows older than the day; day totals are kept forever."""

    @abstractmethod
    def exclusive_lock(self, name: str, wait: bool) -> AbstractContextManager[bool]:
        """A lock held across processes; yields whether it was acquired."""

    @abstractmethod
    def day_lock(self, day: date) -> AbstractContextManager[bool]:
        """Held while a day is imported, so the ledger can tell a running import from an interrupted one."""


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
