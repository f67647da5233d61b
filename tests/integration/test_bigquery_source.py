"""The BigQuery source against a local fake of the REST API, through the real google-cloud-bigquery client."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials

from pepy.domain.downloads import Breakdown, DayRow
from pepy.domain.errors import InvalidImport, SourceUnavailable
from pepy.infrastructure.bigquery.source import BigQuerySource, make_client
from tests.fake_bigquery import DEFAULT_TABLE, FakeBigQuery

pytestmark = pytest.mark.timeout(30)

DAY = date(2024, 3, 5)
MIDNIGHT = datetime(2024, 3, 5, tzinfo=UTC)
MAX_BYTES = 50 * 2**30


@pytest.fixture
def fake():
    with FakeBigQuery() as server:
        yield server


def source(fake: FakeBigQuery, max_bytes: int = MAX_BYTES, page_size: int = 50_000, deadline: float = 2.0):
    """The source under test, with retry deadlines short enough for a test."""
    client = make_client(project="test", endpoint=fake.endpoint)
    return BigQuerySource(client, DEFAULT_TABLE, max_bytes, page_size=page_size, retry_deadline_s=deadline)


def canned(n: int) -> list[tuple]:
    return [(f"project-{i}", "version", f"1.{i}", 10 * i + 3, 10 * i + 2, 10 * i + 1, i) for i in range(n)]


def raw(project: str = "demo", at: datetime = MIDNIGHT, installer: str | None = "pip", **details) -> dict:
    """One raw download row of the public table, with the details given overriding a plain pip download."""
    version = details.pop("version", "1.0")
    return {
        "timestamp": at,
        "country_code": details.pop("country_code", "US"),
        "project": project,
        "file": {"filename": f"{project}-{version}.tar.gz", "project": project, "version": version, "type": "sdist"},
        "details": {
            "installer": {"name": installer, "version": None},
            "python": details.pop("python", "3.12.1"),
            "system": {"name": details.pop("system", "Linux"), "release": None},
            "ci": details.pop("ci", None),
        },
    }


def read(fake: FakeBigQuery, **kwargs) -> list[DayRow]:
    return list(source(fake, **kwargs).read_day(DAY).rows)


def by_breakdown(rows: list[DayRow], project: str) -> dict[str, dict[str | None, tuple[int, int, int]]]:
    result: dict[str, dict[str | None, tuple[int, int, int]]] = defaultdict(dict)
    for row in rows:
        if row.project == project:
            result[row.breakdown][row.category] = (row.downloads, row.non_mirror_downloads, row.pip_downloads)
    return result


# Rows, paging and what is sent


def test_rows_come_back_over_several_pages_and_stream_lazily(fake):
    fake.rows = canned(7)
    fake.page_size = 3

    export = source(fake, page_size=2).read_day(DAY)
    pages_before_reading = len(fake.requests_to("jobs.getQueryResults"))
    rows = list(export.rows)

    assert rows == [DayRow(*row) for row in canned(7)]
    assert all(type(value) is int for row in rows for value in row[3:])
    # The first page comes with the finished job; the others are fetched only as the rows are read.
    assert pages_before_reading == 1
    assert len(fake.requests_to("jobs.getQueryResults")) == 4


def test_an_empty_day_gives_no_rows(fake):
    fake.raw_rows = [raw(at=MIDNIGHT - timedelta(days=3))]

    assert read(fake) == []


def test_day_bounds_are_timestamp_parameters_not_text_in_the_sql(fake):
    read(fake)

    for job in fake.inserted_jobs():
        query = job["query"]
        assert query["parameterMode"] == "NAMED"
        assert query["useLegacySql"] is False
        parameters = {p["name"]: p for p in query["queryParameters"]}
        assert parameters["start"]["parameterType"] == {"type": "TIMESTAMP"}
        assert parameters["end"]["parameterType"] == {"type": "TIMESTAMP"}
        start = datetime.fromisoformat(parameters["start"]["parameterValue"]["value"])
        end = datetime.fromisoformat(parameters["end"]["parameterValue"]["value"])
        assert start == MIDNIGHT
        assert end == MIDNIGHT + timedelta(days=1)
        assert start.utcoffset() == timedelta(0)
        for text in ("2024-03-05", "2024-03-06", "20240305", "2024"):
            assert text not in query["query"]
        assert "@start" in query["query"]
        assert "@end" in query["query"]
        assert f"`{DEFAULT_TABLE}`" in query["query"]


def test_a_dry_run_without_cache_comes_first_then_the_query_with_a_bytes_limit(fake, caplog):
    fake.bytes_processed = 16 * 10**9

    with caplog.at_level(logging.INFO, logger="pepy.infrastructure.bigquery.source"):
        read(fake)

    dry, real = fake.inserted_jobs()
    assert dry["dryRun"] is True
    assert dry["query"]["useQueryCache"] is False
    assert not real.get("dryRun")
    assert real["query"]["maximumBytesBilled"] == str(MAX_BYTES)
    assert real["query"]["query"] == dry["query"]["query"]
    assert real["query"]["queryParameters"] == dry["query"]["queryParameters"]
    logged = [r for r in caplog.records if r.getMessage() == "bigquery dry run"]
    assert len(logged) == 1
    assert logged[0].bytes_estimate == 16 * 10**9
    assert logged[0].day == DAY.isoformat()


def test_an_estimate_over_the_limit_is_refused_before_anything_billable_runs(fake):
    fake.bytes_processed = MAX_BYTES + 1

    with pytest.raises(InvalidImport) as refused:
        source(fake).read_day(DAY)

    message = str(refused.value)
    assert str(MAX_BYTES + 1) in message
    assert str(MAX_BYTES) in message
    assert "PEPY_BIGQUERY_MAX_BYTES" in message
    assert len(fake.inserted_jobs(dry_run=True)) == 1
    assert fake.inserted_jobs(dry_run=False) == []
    assert fake.requests_to("jobs.getQueryResults") == []


def test_an_estimate_equal_to_the_limit_runs(fake):
    fake.bytes_processed = MAX_BYTES
    fake.rows = canned(1)

    assert read(fake) == [DayRow(*canned(1)[0])]


def test_bytes_billed_are_reported(fake):
    fake.bytes_processed = 5 * 10**9
    fake.bytes_billed = 5_000_000_123
    fake.rows = canned(2)

    export = source(fake).read_day(DAY)

    assert export.bytes_billed == 5_000_000_123
    assert len(list(export.rows)) == 2


def test_a_query_over_maximum_bytes_billed_fails_without_retry(fake):
    # The estimate passes but the real scan is larger: BigQuery's own limit stops it, free of charge.
    fake.bytes_processed = MAX_BYTES
    fake.bytes_billed = MAX_BYTES + 1

    with pytest.raises(InvalidImport, match="PEPY_BIGQUERY_MAX_BYTES") as refused:
        source(fake).read_day(DAY)

    assert "bytes billed" in str(refused.value)

    assert len(fake.inserted_jobs(dry_run=False)) == 1


def test_a_job_that_reports_running_is_polled_until_done(fake):
    fake.rows = canned(3)
    fake.running_polls = 2

    assert read(fake) == [DayRow(*row) for row in canned(3)]
    assert fake.requests_to("jobs.get")


def test_the_configured_table_is_queried(fake):
    fake.table = "my-project.mirror.downloads"
    fake.raw_rows = [raw()]
    client = make_client(project="test", endpoint=fake.endpoint)

    rows = list(BigQuerySource(client, "my-project.mirror.downloads", MAX_BYTES).read_day(DAY).rows)

    assert {row.project for row in rows} == {"demo"}


def test_a_missing_table_is_not_retried(fake):
    fake.table = "somewhere.else.entirely"
    fake.raw_rows = [raw()]

    with pytest.raises(SourceUnavailable) as failed:
        source(fake).read_day(DAY)
    assert isinstance(failed.value.__cause__, exceptions.NotFound)

    assert len(fake.requests_to("jobs.insert")) == 1


def test_a_local_client_is_anonymous_and_has_a_default_project(fake):
    client = make_client(project=None, endpoint=fake.endpoint)

    assert client.project == "pepy-local"
    assert isinstance(client._credentials, AnonymousCredentials)


# Failures


def test_an_invalid_query_job_raises_and_yields_nothing(fake):
    fake.rows = canned(3)
    fake.fail_jobs("invalidQuery", "Syntax error: Unexpected keyword")

    with pytest.raises(SourceUnavailable, match="Syntax error") as failed:
        source(fake).read_day(DAY)
    assert isinstance(failed.value.__cause__, exceptions.BadRequest)

    # Not retried: a bad query stays bad.
    assert len(fake.inserted_jobs(dry_run=False)) == 1


@pytest.mark.parametrize("reason", ["backendError", "jobRateLimitExceeded", "jobInternalError"])
def test_a_job_that_fails_for_a_transient_reason_is_run_again(fake, reason):
    fake.rows = canned(2)
    fake.fail_jobs(reason, "try again later", times=1)

    assert read(fake) == [DayRow(*row) for row in canned(2)]
    assert len(fake.inserted_jobs(dry_run=False)) == 2


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("route", ["jobs.insert", "jobs.getQueryResults"])
def test_server_errors_are_retried(fake, route, status):
    fake.rows = canned(5)
    fake.page_size = 2
    fake.fail(route, status, times=2)

    assert read(fake) == [DayRow(*row) for row in canned(5)]
    assert [r.status for r in fake.requests_to(route)][:3] == [status, status, 200]


def test_a_server_error_while_paging_is_retried(fake):
    fake.rows = canned(5)
    fake.page_size = 2
    export = source(fake).read_day(DAY)
    fake.fail("jobs.getQueryResults", 503, times=2)

    assert list(export.rows) == [DayRow(*row) for row in canned(5)]


@pytest.mark.parametrize(("status", "reason"), [(429, "rateLimitExceeded"), (403, "rateLimitExceeded")])
def test_rate_limits_are_retried(fake, status, reason):
    fake.rows = canned(1)
    fake.fail("jobs.insert", status, times=2, reason=reason)

    assert read(fake) == [DayRow(*canned(1)[0])]


def test_an_exhausted_quota_is_not_retried(fake):
    # quotaExceeded means a daily or project quota: waiting seconds cannot help.
    fake.fail("jobs.insert", 403, times=1, reason="quotaExceeded")

    with pytest.raises(SourceUnavailable) as failed:
        source(fake).read_day(DAY)
    assert isinstance(failed.value.__cause__, exceptions.Forbidden)

    assert len(fake.requests_to("jobs.insert")) == 1


@pytest.mark.parametrize("route", ["jobs.insert", "jobs.getQueryResults"])
def test_a_permanent_server_error_eventually_raises(fake, route):
    fake.rows = canned(1)
    fake.fail(route, 500, times=10**6)

    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as failed:
        source(fake, deadline=0.5).read_day(DAY)
    assert isinstance(failed.value.__cause__, exceptions.GoogleAPIError)

    assert time.monotonic() - started < 10
    assert "500" in str(failed.value) or isinstance(failed.value.__cause__, exceptions.InternalServerError)
    assert len(fake.requests_to(route)) > 2


# Semantics, computed by running the query over raw rows


def test_the_day_is_half_open_in_utc(fake):
    fake.raw_rows = [
        raw(at=MIDNIGHT - timedelta(microseconds=1), version="before"),
        raw(at=MIDNIGHT, version="first"),
        raw(at=MIDNIGHT + timedelta(days=1, microseconds=-1), version="last"),
        raw(at=MIDNIGHT + timedelta(days=1), version="after"),
        # The same instant as the day's start, written in another zone.
        raw(at=datetime(2024, 3, 5, 1, tzinfo=timezone(timedelta(hours=1))), version="first"),
    ]

    versions = by_breakdown(read(fake), "demo")[Breakdown.VERSION.value]

    assert versions == {"first": (2, 2, 2), "last": (1, 1, 1)}


def test_mirrors_are_not_counted_as_non_mirror_but_a_null_installer_is(fake):
    installers = ["bandersnatch", "devpi", "Artifactory", "z3c.pypimirror", None, "pip", "uv", "Browser"]
    fake.raw_rows = [raw(installer=name) for name in installers]

    rows = by_breakdown(read(fake), "demo")

    assert rows[Breakdown.VERSION.value] == {"1.0": (8, 4, 1)}
    assert rows[Breakdown.INSTALLER.value] == {
        "bandersnatch": (1, 0, 0),
        "devpi": (1, 0, 0),
        "Artifactory": (1, 0, 0),
        "z3c.pypimirror": (1, 0, 0),
        None: (1, 1, 0),
        "pip": (1, 1, 1),
        "uv": (1, 1, 0),
        "Browser": (1, 1, 0),
    }


def test_project_names_are_normalised(fake):
    fake.raw_rows = [raw(project="Foo.Bar"), raw(project="foo_bar"), raw(project="FOO-bar"), raw(project="foo--__bar")]

    rows = read(fake)

    assert {row.project for row in rows} == {"foo-bar"}
    assert by_breakdown(rows, "foo-bar")[Breakdown.VERSION.value] == {"1.0": (4, 4, 4)}


def test_python_versions_are_parsed_and_junk_is_the_null_category(fake):
    pythons = [None, "abc", "3.12.1rc1", "3.12.1", "3.9.18", "2.7", "3", "pypy"]
    fake.raw_rows = [raw(python=python) for python in pythons]

    rows = by_breakdown(read(fake), "demo")

    assert rows[Breakdown.PYTHON_MAJOR.value] == {None: (3, 3, 3), "3": (4, 4, 4), "2": (1, 1, 1)}
    assert rows[Breakdown.PYTHON_MINOR.value] == {
        None: (4, 4, 4),
        "3.12": (2, 2, 2),
        "3.9": (1, 1, 1),
        "2.7": (1, 1, 1),
    }


def test_other_breakdowns_over_raw_rows(fake):
    fake.raw_rows = [
        raw(system="Linux", country_code="DE", ci=True),
        raw(system="Windows", country_code=None, ci=False),
        raw(system="FreeBSD", country_code="DE", ci=None),
        raw(system=None, country_code="FR", ci=True),
    ]

    rows = by_breakdown(read(fake), "demo")

    assert rows[Breakdown.SYSTEM.value] == {
        "Linux": (1, 1, 1),
        "Windows": (1, 1, 1),
        "other": (1, 1, 1),
        None: (1, 1, 1),
    }
    assert rows[Breakdown.COUNTRY.value] == {"DE": (2, 2, 2), None: (1, 1, 1), "FR": (1, 1, 1)}
    assert rows[Breakdown.CI.value] == {"true": (2, 2, 2), "false": (1, 1, 1), None: (1, 1, 1)}
    assert rows[Breakdown.FILE_TYPE.value] == {"sdist": (4, 4, 4)}


def test_every_breakdown_sums_to_the_version_total(fake):
    installers = ["pip", "uv", None, "bandersnatch", "devpi", "poetry", "pip"]
    pythons = ["3.12.1", None, "abc", "3.11", "2.7.18", "3.12.1rc1", "3.13.0"]
    systems = ["Linux", "Windows", "Darwin", None, "FreeBSD", "Linux", "Linux"]
    rows_in = []
    for i in range(70):
        rows_in.append(
            raw(
                project=["Alpha", "alpha", "beta.pkg", "Beta-Pkg"][i % 4],
                at=MIDNIGHT + timedelta(minutes=20 * i),
                installer=installers[i % 7],
                python=pythons[(i // 2) % 7],
                system=systems[(i // 3) % 7],
                version=["1.0", "2.0", None][i % 3],
                country_code=[None, "US", "DE", "JP", "BR"][i % 5],
                ci=[None, True, False][(i // 5) % 3],
            )
        )
    fake.raw_rows = rows_in
    fake.page_size = 7

    rows = read(fake, page_size=5)

    assert {row.project for row in rows} == {"alpha", "beta-pkg"}
    for project in ("alpha", "beta-pkg"):
        breakdowns = by_breakdown(rows, project)
        assert set(breakdowns) == {b.value for b in Breakdown}
        totals = {name: tuple(map(sum, zip(*cats.values(), strict=True))) for name, cats in breakdowns.items()}
        assert len(set(totals.values())) == 1, totals
    assert sum(r.downloads for r in rows if r.breakdown == Breakdown.VERSION.value) == 70
    # A NULL version is a category of its own, not lost.
    assert len(by_breakdown(rows, "beta-pkg")[Breakdown.VERSION.value]) == 3


def test_pip_downloads_count_the_pip_installer_only(fake):
    installers = ["pip", "pip", "pipenv", "Pip", "uv", None, "pip3", "bandersnatch"]
    fake.raw_rows = [raw(installer=name) for name in installers]

    rows = read(fake)

    assert {row.pip_downloads for row in rows if row.breakdown == Breakdown.VERSION.value} == {2}
    assert by_breakdown(rows, "demo")[Breakdown.INSTALLER.value]["pip"] == (2, 2, 2)
