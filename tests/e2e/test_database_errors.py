"""The database failing under the API: a read past its statement timeout or a database that does not answer is a
503 in the route's own representation (JSON, or an SVG badge), raised by the adapter as the domain's errors."""

from __future__ import annotations

import dataclasses

import pytest

from pepy.domain.errors import DatabaseTimeout
from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.container import build_container, close_pools
from tests.e2e.test_badges import badge

pytestmark = pytest.mark.timeout(60)
# Nothing listens on port 1: connections are refused at once.
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/pepy?connect_timeout=2"


@pytest.fixture
def slow_reads(settings, monkeypatch):
    """An app whose reads of a project run one second against a 50 ms statement timeout, on the real pool."""
    container = build_container(dataclasses.replace(settings, read_statement_timeout_ms=50))

    def slow_read(*args):
        with container.read_pool().connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_sleep(1)")

    for method in ("version_downloads", "sums"):
        monkeypatch.setattr(container.read_store(), method, slow_read)
    yield create_app(container).test_client()
    close_pools(container)
    container.unwire()


@pytest.fixture
def unreachable_reads(settings):
    """An app whose read database refuses every connection."""
    container = build_container(dataclasses.replace(settings, read_database_url=UNREACHABLE))
    yield create_app(container).test_client()
    close_pools(container)
    container.unwire()


def test_the_pool_raises_a_statement_past_its_timeout_as_the_domains_timeout(settings):
    container = build_container(dataclasses.replace(settings, read_statement_timeout_ms=50))
    with pytest.raises(DatabaseTimeout, match="statement timeout"), container.read_pool().connection() as conn:
        conn.cursor().execute("SELECT pg_sleep(1)")
    with container.read_pool().connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    close_pools(container)


def test_a_read_past_its_timeout_is_a_json_503(slow_reads):
    response = slow_reads.get("/api/v2/projects/requests")
    assert response.status_code == 503 and response.mimetype == "application/json"
    assert response.get_json() == {
        "error": 503,
        "message": "The query took too long; try a shorter range or try again shortly",
    }


def test_a_badge_whose_read_times_out_is_a_503_badge(slow_reads):
    assert badge(slow_reads, "/badge/requests", 503) == ("downloads", "unavailable")


def test_an_unreachable_database_is_a_json_503_with_retry_after(unreachable_reads):
    response = unreachable_reads.get("/api/v1/projects/requests")
    assert response.status_code == 503 and response.mimetype == "application/json"
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["message"] == "The database is unavailable; try again shortly"


@pytest.mark.parametrize("url", ["/badge/requests", "/badge/requests/week", "/personalized-badge/requests"])
def test_a_badge_while_the_database_is_unreachable_is_a_503_badge(unreachable_reads, url):
    assert badge(unreachable_reads, url, 503) == ("downloads", "unavailable")
