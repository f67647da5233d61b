"""Operations queries: is the service ready, and what did the last successful import do. Read from the ledger."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

Now = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC, to compare with the ledger's timestamps."""
    return datetime.now(UTC)


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


class LedgerReadStore(ABC):
    """Read-only access to the import ledger, for operations queries."""

    @abstractmethod
    def summary(self) -> LedgerSummary:
        """The ledger's summary; raises if the store does not answer."""

    @abstractmethod
    def is_available(self) -> bool:
        """Whether the store answers."""


@dataclass(frozen=True)
class GetLedgerSummary:
    """The ledger's summary, for metrics."""


class GetLedgerSummaryHandler:
    """Reads the ledger's summary."""

    def __init__(self, store: LedgerReadStore):
        self._store = store

    def __call__(self, query: GetLedgerSummary) -> LedgerSummary:
        return self._store.summary()


@dataclass(frozen=True)
class CheckReadiness:
    """Whether the service is fit to serve: the database answers and the data is fresh."""


@dataclass(frozen=True)
class Readiness:
    """The answer to CheckReadiness, with the reason when not ready."""

    ready: bool
    reason: str


class CheckReadinessHandler:
    """Ready when the store answers and the last successful import is at most max_import_age_hours old."""

    def __init__(self, store: LedgerReadStore, max_import_age_hours: int, now: Now = utc_now):
        self._store = store
        self._max_age = timedelta(hours=max_import_age_hours)
        self._now = now

    def __call__(self, query: CheckReadiness) -> Readiness:
        if not self._store.is_available():
            return Readiness(False, "The database does not answer")
        summary = self._store.summary()
        if summary.last_success_at is None:
            return Readiness(False, "No import has succeeded yet")
        age = self._now() - summary.last_success_at
        hours = self._max_age.total_seconds() / 3600
        if age > self._max_age:
            return Readiness(
                False,
                f"The last successful import finished {age.total_seconds() / 3600:.1f} hours ago, "
                f"more than the {hours:g} allowed (PEPY_READY_MAX_IMPORT_AGE_HOURS)",
            )
        return Readiness(True, f"The last successful import finished {age.total_seconds() / 3600:.1f} hours ago")
