"""The first slice through every layer: health check, v2 project, JSON errors."""

from datetime import date

import pytest
from dependency_injector import providers

from pepy.application.commands import ImportDay
from pepy.infrastructure.postgres.pool import ConnectionPool
from tests.fakes import RowsSource, day_rows

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nothing"


def load(container, rows_by_day):
    container.sources.override(providers.Object(lambda name, path: RowsSource(rows_by_day)))
    for day in sorted(rows_by_day):
        container.import_day()(ImportDay(day))


def test_health_check_is_healthy_when_the_database_answers(client):
    response = client.get("/health-check")
    assert response.status_code == 200
    assert response.get_json() == {"status": "healthy"}


def test_health_check_is_503_json_when_the_database_does_not_answer(container):
    from pepy.infrastructure.api.app import create_app

    container.read_pool.override(providers.Singleton(ConnectionPool, dsn=UNREACHABLE, connect_timeout_s=1))
    response = create_app(container).test_client().get("/health-check")
    assert response.status_code == 503
    assert response.content_type == "application/json"
    assert response.get_json()["error"] == 503


def test_v2_answers_pepys_shape_from_postgres(container, client):
    load(
        container,
        {
            date(2026, 11, 19): day_rows("zope-interface", {"2.9": (3, 3, 3), "2.10": (5, 5, 5), "10.0": (1, 1, 1)}),
            date(2026, 11, 20): day_rows("zope-interface", {"2.10": (7, 6, 5), "1.0rc1": (2, 2, 2)}),
        },
    )
    response = client.get("/api/v2/projects/Zope.Interface")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {
        "id": "zope-interface",
        "total_downloads": 18,
        "versions": ["1.0rc1", "2.9", "2.10", "10.0"],
        "downloads": {
            "2026-11-19": {"2.9": 3, "2.10": 5, "10.0": 1},
            "2026-11-20": {"2.10": 7, "1.0rc1": 2},
        },
    }
    assert list(response.get_json()) == ["id", "total_downloads", "versions", "downloads"]


def test_v2_shows_days_from_the_first_of_the_month_90_days_ago(container, client):
    # The tests' today is 2026-11-21: 90 days earlier is 2026-08-23, so the window opens on 2026-08-01.
    load(
        container,
        {
            date(2026, 7, 31): day_rows("flask", {"3.0": (100, 100, 0)}),
            date(2026, 8, 1): day_rows("flask", {"3.0": (1, 1, 0)}),
        },
    )
    body = client.get("/api/v2/projects/flask").get_json()
    assert body["downloads"] == {"2026-08-01": {"3.0": 1}}
    assert body["total_downloads"] == 101


def test_an_unknown_project_is_404_json(client):
    response = client.get("/api/v2/projects/no-such-project")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.get_json() == {"error": 404, "message": "Project with name no-such-project does not exist"}


@pytest.mark.parametrize(
    "name",
    ["-bad", "bad-", "a" * 513, "naïve", "x%27%3B%20DROP%20TABLE%20projects", "%00", "a%0Ab", "..%2F..%2Fetc", "a/b"],
)
def test_invalid_names_are_400_json_never_500(client, name):
    response = client.get(f"/api/v2/projects/{name}")
    assert response.status_code == 400
    assert response.content_type == "application/json"
    assert response.get_json()["error"] == 400


def test_unknown_routes_and_methods_are_json(client):
    missing = client.get("/api/no/such/route")
    assert (missing.status_code, missing.content_type, missing.get_json()["error"]) == (404, "application/json", 404)
    # Outside the API's paths, a person is reading: the site's HTML page (tests/e2e/test_pages.py).
    assert client.get("/no/such/route").mimetype == "text/html"
    wrong = client.post("/api/v2/projects/flask")
    assert (wrong.status_code, wrong.get_json()["error"]) == (405, 405)
    assert "GET" in wrong.headers["Allow"]


def test_a_database_outage_is_503_json(container):
    from pepy.infrastructure.api.app import create_app

    container.read_pool.override(providers.Singleton(ConnectionPool, dsn=UNREACHABLE, connect_timeout_s=1))
    response = create_app(container).test_client().get("/api/v2/projects/flask")
    assert response.status_code == 503
    assert response.get_json()["error"] == 503
    assert response.headers["Retry-After"]
