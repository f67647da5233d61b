"""Readiness and metrics on real PostgreSQL: /ready from the ledger, /metrics by route and from the ledger."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from dependency_injector import providers
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from pepy.application.commands import ImportDay
from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.server import worker_pids
from pepy.infrastructure.container import build_container, close_pools
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.settings import Settings
from tests import live_server
from tests.conftest import TODAY
from tests.fakes import RowsSource, day_rows

DAY = date(2026, 11, 20)
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nothing"
SECRET = "s3cret-Pa55word-never-exposed"
ROWS = {
    DAY: day_rows("requests", {"2.31.0": (10, 8, 6), "2.30.0": (5, 5, 1)})
    + day_rows("flask", {"3.0.0": (7, 7, 7)}, python_minor={"3.12": (7, 7)}, system={"Linux": (7, 7)})
}


def import_day(container, bytes_billed=0):
    container.sources.override(providers.Object(lambda name, path: RowsSource(ROWS, bytes_billed=bytes_billed)))
    return container.import_day()(ImportDay(DAY))


def age_ledger(url: str, hours: int) -> None:
    """Move every import's times back, as if it had run `hours` ago."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE imports SET started_at = started_at - make_interval(hours => %(h)s),
                      finished_at = finished_at - make_interval(hours => %(h)s),
                      succeeded_at = succeeded_at - make_interval(hours => %(h)s)""",
            {"h": hours},
        )
    conn.close()


def metrics(client) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, keyed by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type == CONTENT_TYPE_LATEST
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


def test_ready_is_200_after_a_recent_successful_import(container, client):
    import_day(container)
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ready"


def test_ready_is_503_json_before_any_import(client):
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.content_type == "application/json"
    assert response.get_json() == {"error": 503, "message": "No import has succeeded yet"}


def test_ready_is_503_when_only_a_failed_import_exists(container, client):
    container.sources.override(providers.Object(lambda name, path: RowsSource(ROWS, fail_after=1)))
    with pytest.raises(Exception, match="failed after"):
        container.import_day()(ImportDay(DAY))
    assert client.get("/ready").get_json() == {"error": 503, "message": "No import has succeeded yet"}


def test_ready_is_503_when_the_last_success_is_older_than_the_limit(container, client, db):
    import_day(container)
    age_ledger(db, 49)
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.get_json()["error"] == 503
    assert (
        "49.0 hours ago, more than the 48 allowed (PEPY_READY_MAX_IMPORT_AGE_HOURS)" in response.get_json()["message"]
    )


def test_the_age_limit_comes_from_the_settings(db):
    container = build_container(Settings(env="test", database_url=db, retention_days=0, ready_max_import_age_hours=72))
    container.clock.override(providers.Object(lambda: TODAY))
    try:
        import_day(container)
        age_ledger(db, 49)
        assert create_app(container).test_client().get("/ready").status_code == 200
    finally:
        close_pools(container)
        container.unwire()


def test_ready_is_503_json_when_the_database_is_down(container):
    container.read_pool.override(providers.Singleton(ConnectionPool, dsn=UNREACHABLE, connect_timeout_s=1))
    response = create_app(container).test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"error": 503, "message": "The database does not answer"}


def test_metrics_count_and_time_requests_by_route_and_status(container, client):
    import_day(container)
    for _ in range(3):
        assert client.get("/api/v2/projects/requests").status_code == 200
    assert client.get("/api/v2/projects/no-such-project").status_code == 404
    assert client.get("/no/such/route").status_code == 404
    assert client.get("/health-check").status_code == 200
    assert client.open("/health-check", method="BREW").status_code == 405

    found = metrics(client)
    route = "/api/v2/projects/<name:name>"
    assert sample(found, "pepy_http_requests_total", method="GET", route=route, status="200") == 3
    assert sample(found, "pepy_http_requests_total", method="GET", route=route, status="404") == 1
    assert sample(found, "pepy_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert sample(found, "pepy_http_requests_total", method="GET", route="/health-check", status="200") == 1
    assert sample(found, "pepy_http_request_duration_seconds_count", method="GET", route=route, status="200") == 3
    slowest = sample(
        found, "pepy_http_request_duration_seconds_bucket", method="GET", route=route, status="200", le="+Inf"
    )
    assert slowest == 3
    assert sample(found, "pepy_http_request_duration_seconds_sum", method="GET", route=route, status="200") > 0
    assert sample(found, "pepy_http_requests_total", method="OTHER", route="<unmatched>", status="405") == 1
    # Neither raw paths nor made-up methods become labels.
    assert not any("requests" in dict(labels).get("route", "") for _, labels in found)
    assert not any(dict(labels).get("method") == "BREW" for _, labels in found)


def test_metrics_expose_the_last_successful_import_from_the_ledger(container, client, db):
    result = import_day(container, bytes_billed=123_456)
    found = metrics(client)

    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT version_rows, category_rows, project_rows,
                      extract(epoch FROM finished_at - started_at), extract(epoch FROM succeeded_at)
               FROM imports WHERE day = %s""",
            (DAY,),
        )
        versions, categories, projects, seconds, succeeded_at = cur.fetchone()
    conn.close()
    assert (versions, categories, projects) == (3, 3, 2)
    assert versions + categories + projects == result.rows_written
    assert sample(found, "pepy_ledger_up") == 1
    assert sample(found, "pepy_last_import_rows", table="version_downloads") == versions
    assert sample(found, "pepy_last_import_rows", table="category_downloads") == categories
    assert sample(found, "pepy_last_import_rows", table="project_days") == projects
    assert sample(found, "pepy_last_import_bytes_billed") == 123_456
    assert sample(found, "pepy_last_import_duration_seconds") == pytest.approx(float(seconds), abs=1e-3)
    assert sample(found, "pepy_last_imported_day_timestamp_seconds") == datetime(2026, 11, 20, tzinfo=UTC).timestamp()
    assert sample(found, "pepy_last_import_success_timestamp_seconds") == pytest.approx(float(succeeded_at), abs=1e-3)
    assert 0 <= sample(found, "pepy_last_import_success_age_seconds") < 60
    assert sample(found, "pepy_import_days", status="succeeded") == 1
    assert sample(found, "pepy_import_days", status="failed") == 0


def test_metrics_still_answer_without_import_gauges_when_the_database_is_down(container):
    container.read_pool.override(providers.Singleton(ConnectionPool, dsn=UNREACHABLE, connect_timeout_s=1))
    client = create_app(container).test_client()
    client.get("/health-check")
    found = metrics(client)
    assert sample(found, "pepy_ledger_up") == 0
    assert sample(found, "pepy_http_requests_total", method="GET", route="/health-check", status="503") == 1
    assert not any(name.startswith("pepy_last_import") for name, _ in found)


def with_password(url: str, password: str) -> str:
    """The URL with a password in its user info, for a server that does not check it (trust authentication)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port or 5432}"))


def test_metrics_and_readiness_contain_no_secret(db):
    url = db if urlsplit(db).password else with_password(db, SECRET)
    secret = urlsplit(url).password
    container = build_container(Settings(env="test", database_url=url, retention_days=0))
    container.clock.override(providers.Object(lambda: TODAY))
    try:
        import_day(container, bytes_billed=1)
        client = create_app(container).test_client()
        client.get("/api/v2/projects/flask")
        pages = [client.get(path).get_data(as_text=True) for path in ("/ready", "/metrics")]
    finally:
        close_pools(container)
        container.unwire()
    assert "pepy_last_import_rows" in pages[1]
    for page in pages:
        assert secret not in page
        assert "postgresql://" not in page


@pytest.mark.slow
def test_workers_share_their_request_counts(db, tmp_path):
    with live_server.api_server(db, tmp_path) as server:
        base = server.base
        deadline = time.monotonic() + 30
        (first,) = worker_pids(server.pid)
        (folder,) = tmp_path.glob("metrics-*")
        assert list(folder.glob(f"gauge_live*_{first}.db"))
        # A worker that exits takes nothing with it: its successor's scrape still counts its requests.
        os.kill(first, signal.SIGTERM)
        while True:
            # Refused until the successor listens: the only worker's socket closed with it.
            with contextlib.suppress(OSError):
                if worker_pids(server.pid) - {first} and live_server.get(f"{base}/health-check")[0] == 200:
                    break
            assert time.monotonic() < deadline, "the server did not replace its worker"
            time.sleep(0.2)
        status, _, text = live_server.get(f"{base}/metrics")
        assert status == 200
        found = parse(text)
        assert sample(found, "pepy_http_requests_total", method="GET", route="/health-check", status="200") == 2
        assert sample(found, "pepy_ledger_up") == 1
        # Its live gauges (whether its limits were shared) are dropped at the scrape; its counters stay.
        assert not list(folder.glob(f"gauge_live*_{first}.db"))
        assert sample(found, "pepy_rate_limit_shared") == 1
