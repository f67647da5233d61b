"""The rankings' routes over HTTP: the top-pypi-packages list under both names, trending, their 400s and 503s, and
their caching while an import run has not yet rebuilt them."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import psycopg2
import pytest
from dependency_injector import providers

from pepy.application.commands import ImportDay, RefreshRankings
from pepy.infrastructure.api.app import create_app
from tests.conftest import clean
from tests.e2e.api_support import LAST_DAY, close, make_container
from tests.fakes import RowsSource, day_rows

pytestmark = pytest.mark.timeout(60)

# Every day of the last fortnight imported (most of them empty), so a week's trending can compare; one day of a
# year ago. Each project's (downloads, downloads without mirrors).
DAYS = {LAST_DAY - timedelta(days=n): {} for n in range(14)} | {
    LAST_DAY - timedelta(days=200): {"ancient": (50_000, 50_000)},
    LAST_DAY - timedelta(days=13): {"steady": (2000, 2000)},
    LAST_DAY: {"boto3": (9000, 8000), "rising": (3000, 3000), "steady": (2500, 2500)},
}


def use_days(container, days) -> None:
    source = RowsSource(
        {
            day: [row for name, (d, n) in projects.items() for row in day_rows(name, {"1.0": (d, n, 0)})]
            for day, projects in days.items()
        }
    )
    container.sources.override(providers.Object(lambda name, path: source))


def import_days(container, days, refresh: bool = True) -> None:
    use_days(container, days)
    for day in sorted(days):
        container.import_day()(ImportDay(day))
    if refresh:
        container.refresh_rankings()(RefreshRankings())


def newest_import(url: str) -> str:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(succeeded_at) FROM imports")
        found = cur.fetchone()[0]
    conn.close()
    return found.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def ranked(database_url):
    clean(database_url)
    container = make_container(database_url)
    import_days(container, DAYS)
    close(container)
    return database_url


@pytest.fixture
def client(ranked):
    container = make_container(ranked)
    yield create_app(container).test_client()
    close(container)


def test_the_top_list_is_the_top_pypi_packages_format_compact_under_both_names(client, ranked):
    answer = client.get("/api/v3/top-pypi-packages.json")
    rows = [("boto3", 9000), ("steady", 4500), ("rising", 3000)]

    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.data.decode() == (
        f'{{"last_update":"{newest_import(ranked)}","rows":['
        + ",".join(f'{{"download_count":{n},"project":"{name}"}}' for name, n in rows)
        + "]}"
    )
    assert client.get("/api/v3/top-pypi-packages.min.json").data == answer.data


def test_the_top_list_of_a_year_and_a_limit(client):
    year = client.get("/api/v3/top-pypi-packages.min.json?days=365&limit=2").get_json()

    assert year["rows"] == [
        {"download_count": 50_000, "project": "ancient"},
        {"download_count": 9000, "project": "boto3"},
    ]
    assert len(client.get("/api/v3/top-pypi-packages.json?days=30&limit=1").get_json()["rows"]) == 1


def test_the_top_list_is_cached_until_the_next_import(client):
    answer = client.get("/api/v3/top-pypi-packages.min.json")

    assert answer.headers["Cache-Control"].startswith("public, max-age=") and "ETag" in answer.headers
    again = client.get("/api/v3/top-pypi-packages.min.json", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("days=7", "days: must be 30 or 365, not 7"),
        ("days=month", "days: must be a whole number, not 'month'"),
        ("days=30&days=365", "days: is given more than once; give it once"),
        ("limit=0", "limit: must be between 1 and 15000, not 0"),
        ("limit=15001", "limit: must be between 1 and 15000, not 15001"),
        ("limit=-1", "limit: must be between 1 and 15000, not -1"),
        ("limit=1e3", "limit: must be a whole number, not '1e3'"),
    ],
)
def test_the_top_list_refuses_other_days_and_limits_naming_the_parameter(client, query, message):
    for name in ("top-pypi-packages.json", "top-pypi-packages.min.json"):
        answer = client.get(f"/api/v3/{name}?{query}")
        assert (answer.status_code, answer.get_json()) == (400, {"error": 400, "message": message})
        assert "ETag" not in answer.headers


def test_trending_ranks_growth_against_the_week_before(client):
    answer = client.get("/api/v3/trending")

    assert answer.status_code == 200
    assert answer.get_json() == {
        "period": "week",
        "start": "2026-11-14",
        "end": "2026-11-20",
        "previous_start": "2026-11-07",
        "previous_end": "2026-11-13",
        "projects": [
            {"name": "boto3", "downloads": 8000, "previous_downloads": 0, "growth": 8.0},
            {"name": "rising", "downloads": 3000, "previous_downloads": 0, "growth": 3.0},
            {"name": "steady", "downloads": 2500, "previous_downloads": 2000, "growth": 0.1667},
        ],
    }
    assert [p["name"] for p in client.get("/api/v3/trending?period=week&limit=1").get_json()["projects"]] == ["boto3"]


def test_trending_over_a_month_with_days_not_imported_is_a_503_naming_them(client):
    answer = client.get("/api/v3/trending?period=month")

    assert answer.status_code == 503 and "ETag" not in answer.headers
    assert answer.get_json()["message"].startswith(
        "Trending over a month compares 2026-09-22 to 2026-10-21 with 2026-10-22 to 2026-11-20, and 46 of those days "
        "are not imported: 2026-09-22,"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=day", "period: must be one of week, month, not 'day'"),
        ("limit=101", "limit: must be between 1 and 100, not 101"),
        ("limit=0", "limit: must be between 1 and 100, not 0"),
    ],
)
def test_trending_refuses_other_periods_and_limits_naming_the_parameter(client, query, message):
    answer = client.get(f"/api/v3/trending?{query}")
    assert (answer.status_code, answer.get_json()) == (400, {"error": 400, "message": message})


def test_before_the_first_refresh_the_lists_are_a_503_that_says_why(container):
    import_days(container, {LAST_DAY: {"a": (5, 5)}}, refresh=False)
    client = create_app(container).test_client()

    for url in ("/api/v3/top-pypi-packages.json", "/api/v3/trending"):
        answer = client.get(url)
        assert answer.status_code == 503 and "not built yet" in answer.get_json()["message"]
        assert "ETag" not in answer.headers and "Cache-Control" not in answer.headers


def test_a_list_older_than_the_newest_import_is_cached_for_a_minute_only(container, db):
    import_days(container, {LAST_DAY: {"a": (5, 5), "b": (3, 3)}})
    use_days(container, {LAST_DAY: {"a": (1, 1), "b": (3, 3)}})
    container.import_day()(ImportDay(LAST_DAY))
    container.read_ledger.reset()  # its freshness is kept for seconds
    client = create_app(container).test_client()

    between = client.get("/api/v3/top-pypi-packages.json")
    assert [r["project"] for r in between.get_json()["rows"]] == ["a", "b"]
    assert between.headers["Cache-Control"] == "public, max-age=60"
    assert "ETag" not in between.headers and "Last-Modified" not in between.headers

    container.refresh_rankings()(RefreshRankings())
    after = client.get("/api/v3/top-pypi-packages.json")
    assert json.loads(after.data)["rows"] == [
        {"download_count": 3, "project": "b"},
        {"download_count": 1, "project": "a"},
    ]
    assert after.get_json()["last_update"] == newest_import(db) and "ETag" in after.headers
