"""Operations' rules, from the import ledger and the replication status: readiness, the ledger's days and their
gaps, its summary, the replica's lag."""

from datetime import UTC, date, datetime

import pytest

from pepy.application.queries.operations import (
    CheckReadiness,
    CheckReadinessHandler,
    GetImportLedger,
    GetImportLedgerHandler,
    GetLedgerSummary,
    GetLedgerSummaryHandler,
    GetReplicaLag,
    GetReplicaLagHandler,
    ImportLedgerDays,
    Readiness,
)
from pepy.domain.errors import InvalidImport
from pepy.domain.read_models import LedgerEntry, LedgerSummary, ReplicaLag
from tests.fakes import FakeLedger, FakeReplication

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def entry(day: date, status: str) -> LedgerEntry:
    started = datetime.combine(day, datetime.min.time(), UTC)
    error = "interrupted: the import stopped before it finished" if status == "failed" else None
    return LedgerEntry(day, "bigquery", status, started, None if status == "running" else started, 10, 100, error)


ENTRIES = [
    entry(date(2026, 11, 15), "succeeded"),
    entry(date(2026, 11, 17), "succeeded"),
    entry(date(2026, 11, 18), "failed"),
    entry(date(2026, 11, 19), "running"),
    entry(date(2026, 11, 20), "succeeded"),
]


def readiness(ledger: FakeLedger, lag: ReplicaLag | None = None) -> Readiness:
    handler = CheckReadinessHandler(
        ledger, FakeReplication(lag), max_import_age_hours=36, max_replica_lag_seconds=120, now=lambda: NOW
    )
    return handler(CheckReadiness())


@pytest.mark.parametrize(
    ("ledger", "expected"),
    [
        (FakeLedger(available=False), Readiness(False, "The database does not answer")),
        (FakeLedger(), Readiness(False, "No import has succeeded yet")),
        (
            FakeLedger(date(2026, 11, 18), datetime(2026, 11, 19, 20, 0, tzinfo=UTC)),
            Readiness(
                False,
                "The last successful import finished 40.0 hours ago, more than the 36 allowed "
                "(PEPY_READY_MAX_IMPORT_AGE_HOURS)",
            ),
        ),
        (
            FakeLedger(date(2026, 11, 19), datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
            Readiness(True, "The last successful import finished 36.0 hours ago"),
        ),
        (
            FakeLedger(date(2026, 11, 20), datetime(2026, 11, 21, 9, 30, tzinfo=UTC)),
            Readiness(True, "The last successful import finished 2.5 hours ago"),
        ),
    ],
)
def test_ready_when_the_database_answers_and_the_last_import_is_at_most_the_allowed_hours_old(ledger, expected):
    assert readiness(ledger) == expected


FRESH = FakeLedger(date(2026, 11, 20), datetime(2026, 11, 21, 9, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("ledger", "lag", "expected"),
    [
        (
            FRESH,
            ReplicaLag(True, 0.0, 0),
            Readiness(True, "The last successful import finished 2.5 hours ago; the replica is 0 s behind the primary"),
        ),
        (
            FRESH,
            ReplicaLag(True, 120.0, 10**9),
            Readiness(
                True, "The last successful import finished 2.5 hours ago; the replica is 120 s behind the primary"
            ),
        ),
        (
            FRESH,
            ReplicaLag(True, 121.0, 16384),
            Readiness(
                False,
                "The replica is 121 s behind the primary, more than the 120 allowed "
                "(PEPY_READY_MAX_REPLICA_LAG_SECONDS)",
            ),
        ),
        # A replica too far behind is said first: it is why the data may look old.
        (
            FakeLedger(date(2026, 11, 18), datetime(2026, 11, 19, 20, 0, tzinfo=UTC)),
            ReplicaLag(True, 4000.0, 16384),
            Readiness(
                False,
                "The replica is 4000 s behind the primary, more than the 120 allowed "
                "(PEPY_READY_MAX_REPLICA_LAG_SECONDS)",
            ),
        ),
        (
            FakeLedger(available=False),
            ReplicaLag(True, 4000.0, 16384),
            Readiness(False, "The database does not answer"),
        ),
    ],
)
def test_a_replica_is_ready_while_at_most_the_allowed_seconds_behind(ledger, lag, expected):
    assert readiness(ledger, lag) == expected


def test_the_replica_lag_is_the_replications():
    lag = ReplicaLag(True, 3.5, 4096)
    assert GetReplicaLagHandler(FakeReplication(lag))(GetReplicaLag()) == lag


def test_the_ledger_lists_every_day_of_the_range_and_the_days_not_imported():
    found = GetImportLedgerHandler(FakeLedger(entries=ENTRIES))(GetImportLedger(date(2026, 11, 16), date(2026, 11, 21)))

    assert found == ImportLedgerDays(
        [
            (date(2026, 11, 16), None),
            (date(2026, 11, 17), ENTRIES[1]),
            (date(2026, 11, 18), ENTRIES[2]),
            (date(2026, 11, 19), ENTRIES[3]),
            (date(2026, 11, 20), ENTRIES[4]),
            (date(2026, 11, 21), None),
        ],
        [date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 21)],
    )
    assert found.attempted


def test_a_range_never_attempted_is_all_gaps():
    found = GetImportLedgerHandler(FakeLedger(entries=ENTRIES))(GetImportLedger(date(2026, 11, 1), date(2026, 11, 3)))

    assert found.gaps == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert not found.attempted


def test_the_ledger_refuses_a_backward_range():
    with pytest.raises(InvalidImport) as refused:
        GetImportLedgerHandler(FakeLedger())(GetImportLedger(date(2026, 11, 10), date(2026, 11, 1)))

    assert str(refused.value) == "The end 2026-11-01 is before the start 2026-11-10"


def test_the_ledger_summary_is_the_ledgers():
    last_import_at = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    ledger = FakeLedger(date(2026, 11, 20), last_import_at, ENTRIES)

    assert GetLedgerSummaryHandler(ledger)(GetLedgerSummary()) == LedgerSummary(
        last_success_at=last_import_at,
        last_imported_day=date(2026, 11, 20),
        days_by_status={"running": 1, "succeeded": 3, "failed": 1},
    )
