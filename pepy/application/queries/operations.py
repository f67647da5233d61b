"""Operations queries, read from the import ledger and the read database's replication: is the service ready,
what did imports do, which days are missing, how far the replica is behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pepy.domain.downloads import days_between
from pepy.domain.ports import ImportLedger, Now, Replication
from pepy.domain.read_models import LedgerEntry, LedgerSummary, ReplicaLag


@dataclass(frozen=True)
class GetLedgerSummary:
    """The ledger's summary, for metrics."""


class GetLedgerSummaryHandler:
    """Reads the ledger's summary."""

    def __init__(self, ledger: ImportLedger):
        self._ledger = ledger

    def __call__(self, query: GetLedgerSummary) -> LedgerSummary:
        return self._ledger.summary()


@dataclass(frozen=True)
class GetReplicaLag:
    """How far the read database is behind the primary, for metrics."""


class GetReplicaLagHandler:
    """Reads the read database's replication lag."""

    def __init__(self, replication: Replication):
        self._replication = replication

    def __call__(self, query: GetReplicaLag) -> ReplicaLag:
        return self._replication.lag()


@dataclass(frozen=True)
class GetImportLedger:
    """The ledger's entries for the days from start to end, both included."""

    start: date
    end: date


@dataclass(frozen=True)
class ImportLedgerDays:
    """Every day of a range with its ledger entry (None: never attempted), and the days not imported."""

    days: list[tuple[date, LedgerEntry | None]]
    gaps: list[date]

    @property
    def attempted(self) -> bool:
        """Whether an import of any day of the range was ever started."""
        return any(entry is not None for _, entry in self.days)


class GetImportLedgerHandler:
    """Lists the range's days with their entries; a gap is a day whose last attempt did not succeed."""

    def __init__(self, ledger: ImportLedger):
        self._ledger = ledger

    def __call__(self, query: GetImportLedger) -> ImportLedgerDays:
        days = days_between(query.start, query.end)
        entries = self._ledger.entries(query.start, query.end)
        found = [(day, entries.get(day)) for day in days]
        return ImportLedgerDays(found, [day for day, entry in found if entry is None or not entry.succeeded])


@dataclass(frozen=True)
class CheckReadiness:
    """Whether the service is fit to serve: the database answers and the data is fresh."""


@dataclass(frozen=True)
class Readiness:
    """The answer to CheckReadiness, with the reason when not ready."""

    ready: bool
    reason: str


class CheckReadinessHandler:
    """Ready when the ledger answers, the replica (if reads go to one) is at most max_replica_lag_seconds behind,
    and the last successful import is at most max_import_age_hours old."""

    def __init__(
        self,
        ledger: ImportLedger,
        replication: Replication,
        max_import_age_hours: int,
        max_replica_lag_seconds: int,
        now: Now,
    ):
        self._ledger = ledger
        self._replication = replication
        self._max_age = timedelta(hours=max_import_age_hours)
        self._max_lag = max_replica_lag_seconds
        self._now = now

    def __call__(self, query: CheckReadiness) -> Readiness:
        if not self._ledger.is_available():
            return Readiness(False, "The database does not answer")
        lag = self._replication.lag()
        if lag.seconds > self._max_lag:
            return Readiness(
                False,
                f"The replica is {lag.seconds:.0f} s behind the primary, more than the {self._max_lag} allowed "
                "(PEPY_READY_MAX_REPLICA_LAG_SECONDS)",
            )
        summary = self._ledger.summary()
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
        reason = f"The last successful import finished {age.total_seconds() / 3600:.1f} hours ago"
        if lag.is_replica:
            reason += f"; the replica is {lag.seconds:.0f} s behind the primary"
        return Readiness(True, reason)
