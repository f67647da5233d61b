"""BigQuery failing during an import: retried where that makes sense, recorded in the ledger, the stored day
unchanged. The real client talks to the local REST fake."""

from __future__ import annotations

from datetime import date

import pytest
from dependency_injector import providers

from pepy.application.commands import ImportDay
from pepy.domain.errors import InvalidImport, SourceUnavailable
from pepy.domain.ports import DownloadsSource
from pepy.infrastructure.bigquery.source import BigQuerySource, make_client
from tests.fake_bigquery import DEFAULT_TABLE, FakeBigQuery
from tests.integration.test_repository import snapshot

DAY = date(2026, 11, 19)
GOOD = [("requests", "version", "2.31.0", 10, 9, 8, 1), ("requests", "system", "Linux", 10, 9, 0, 1)]
CHANGED = [
    ("requests", "version", "2.32.0", 30, 30, 30, 0),
    ("requests", "version", "2.31.0", 5, 5, 5, 0),
    ("requests", "system", "Linux", 35, 35, 0, 0),
    ("flask", "version", "3.1.0", 2, 2, 2, 0),
    ("flask", "system", "Darwin", 2, 2, 0, 0),
]


class FailingAfter(DownloadsSource):
    """A BigQuery source whose fake starts failing every page request once `rows` rows have been read."""

    name = "bigquery"

    def __init__(self, source: BigQuerySource, fake: FakeBigQuery, rows: int):
        self._source, self._fake, self._rows = source, fake, rows

    def read_day(self, day):
        export = self._source.read_day(day)

        def rows():
            for n, row in enumerate(export.rows):
                if n == self._rows:
                    self._fake.fail("jobs.getQueryResults", 500, times=1000)
                yield row

        export.rows = rows()
        return export


@pytest.fixture
def fake():
    with FakeBigQuery(rows=GOOD, page_size=2, bytes_processed=12345) as server:
        yield server


@pytest.fixture
def bigquery(container, fake):
    """The container importing from the fake, with short retry deadlines and timeouts."""
    source = providers.Factory(
        BigQuerySource,
        client=make_client("test", fake.endpoint),
        table=DEFAULT_TABLE,
        max_bytes=10**12,
        page_size=2,
        retry_deadline_s=1.5,
        timeout_s=1.0,
    )
    container.bigquery_source.override(source)
    container.import_day()(ImportDay(DAY, "bigquery"))
    return container


def import_fails(container, db, error=Exception):
    before = snapshot(db)
    with pytest.raises(error):
        container.import_day()(ImportDay(DAY, "bigquery"))
    after = snapshot(db)
    assert {k: v for k, v in after.items() if k != "ledger"} == {k: v for k, v in before.items() if k != "ledger"}
    entry = container.ledger().entries(DAY, DAY)[DAY]
    assert entry.status == "failed" and entry.error
    return entry


def test_a_good_import_records_the_bytes_billed(bigquery, db):
    # One version row, one system row, one project-day row.
    assert snapshot(db)["ledger"] == [(DAY, "bigquery", "succeeded", 3, 12345)]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_and_the_import_succeeds(bigquery, fake, db, status):
    fake.rows = CHANGED
    fake.fail("jobs.insert", status, times=2)
    fake.fail("jobs.getQueryResults", status, times=1)
    bigquery.import_day()(ImportDay(DAY, "bigquery"))
    assert [p[2] for p in snapshot(db)["projects"]] == [2, 35]


def test_a_permanent_server_error_fails_the_import_and_changes_nothing(bigquery, fake, db):
    fake.rows = CHANGED
    fake.fail("jobs.insert", 500, times=1000)
    import_fails(bigquery, db)


def test_an_exhausted_quota_is_not_retried_and_changes_nothing(bigquery, fake, db):
    fake.rows = CHANGED
    fake.fail("jobs.insert", 403, times=1, reason="quotaExceeded")
    entry = import_fails(bigquery, db)
    assert "quota" in entry.error.lower() or "Forbidden" in entry.error


def test_a_hung_bigquery_times_out_and_changes_nothing(bigquery, fake, db):
    fake.rows = CHANGED
    fake.delays["jobs.insert"] = 5.0
    entry = import_fails(bigquery, db, SourceUnavailable)
    assert "SourceUnavailable: BigQuery did not answer" in entry.error


def test_a_job_that_never_finishes_times_out_and_changes_nothing(bigquery, fake, db):
    fake.rows = CHANGED
    fake.running_polls = 10**6
    import_fails(bigquery, db, SourceUnavailable)


def test_a_query_failing_after_some_pages_changes_nothing(bigquery, fake, db):
    fake.rows = CHANGED
    real = bigquery.bigquery_source()
    bigquery.sources.override(providers.Object(lambda name, path: FailingAfter(real, fake, rows=3)))
    import_fails(bigquery, db)


@pytest.mark.parametrize(
    "bad_row",
    [
        ("requests", "version", "2.31.0", None, 1, 1, 0),
        ("requests", "version", "2.31.0", -5, 0, 0, 0),
        ("requests", "version", "2.31.0", 5, 9, 0, 0),
        (None, "version", "2.31.0", 5, 5, 5, 0),
        ("requests", "version", "x" * 5000, 5, 5, 5, 0),
        ("requests", "version", "2.31.0", 5, 5, 0, 6),
        ("requests", "colour", "red", 5, 5, 0, 0),
    ],
)
def test_malformed_answers_are_refused_and_change_nothing(bigquery, fake, db, bad_row):
    fake.rows = [*CHANGED, bad_row]
    entry = import_fails(bigquery, db, InvalidImport)
    assert "InvalidImport" in entry.error
