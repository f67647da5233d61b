"""Known answers for the API tests: raw download rows in the BigQuery table's schema, imported once per module
through the real import path (FilesSource → import_day → PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from dependency_injector import providers

from pepy.application.commands import ImportDay, RefreshRankings
from pepy.domain.access import hash_secret
from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.container import build_container, close_pools
from pepy.infrastructure.settings import Settings
from tests.conftest import TEST_TIERS, TODAY, clean

LAST_DAY = date(2026, 11, 20)

# Per day: (project as uploaded, version, installer, python, system, how many downloads).
# bandersnatch and devpi are mirrors; the rest are not.
DAYS = {
    date(2026, 11, 20): [
        ("Demo.Pkg", "2.10.0", "pip", "3.12.1", "Linux", 5),
        ("demo_pkg", "2.9.0", "pip", "3.11.4", "Windows", 3),
        ("demo-pkg", "2.10.0", "bandersnatch", "3.12.1", "Linux", 2),
        ("demo-pkg", "1.0", "uv", None, "Darwin", 1),
        ("other", "1.0", "pip", "3.12.1", "Linux", 100),
        ("demo-pkg-extra", "0.1", "pip", "3.12.1", "Linux", 3),
    ],
    date(2026, 11, 19): [
        ("demo-pkg", "2.10.0", "pip", "3.12.1", "Linux", 4),
        ("demo-pkg", "3.0.0rc1", "pip", "3.13.0", "Linux", 1),
    ],
    date(2026, 11, 14): [("demo-pkg", "2.9.0", "pip", "2.7.18", "Windows", 2)],
    date(2026, 11, 13): [
        ("demo-pkg", "2.9.0", "pip", "3.12.1", "Linux", 7),
        ("demo-pkg", "2.9.0", "devpi", "3.12.1", "Linux", 1),
    ],
    date(2026, 10, 22): [("demo-pkg", "2.10.0", "pip", "3.12.1", "Linux", 10)],
    date(2026, 10, 21): [("demo-pkg", "2.10.0", "pip", "3.12.1", "Linux", 20)],
    date(2026, 8, 1): [("demo-pkg", "1.0", "pip", "3.8.10", "Linux", 30)],
    date(2026, 5, 24): [("demo-pkg", "1.0", "pip", "3.8.10", "Linux", 40)],
}
# demo-pkg's known answers.
TOTAL = 126
TOTAL_WITHOUT_MIRRORS = 123
LAST_WEEK, LAST_WEEK_WITHOUT_MIRRORS = 18, 16
LAST_MONTH, LAST_MONTH_WITHOUT_MIRRORS = 36, 33
LAST_DAY_DOWNLOADS, LAST_DAY_WITHOUT_MIRRORS = 11, 9
# pypistats.org's `recent` answer for demo-pkg: it counts without mirrors.
RECENT = {
    "data": {
        "last_day": LAST_DAY_WITHOUT_MIRRORS,
        "last_week": LAST_WEEK_WITHOUT_MIRRORS,
        "last_month": LAST_MONTH_WITHOUT_MIRRORS,
    },
    "package": "demo-pkg",
    "type": "recent_downloads",
}

# Keys stored by loaded_database: one with the admin scope, one with pro, one that only reads, and an admin key
# that was revoked.
ADMIN_SECRET = "pepy_test-admin-secret"
PRO_SECRET = "pepy_test-pro-secret"
READ_SECRET = "pepy_test-read-secret"
REVOKED_SECRET = "pepy_test-revoked-secret"


def raw_row(day: date, project: str, version: str, installer: str, python: str | None, system: str) -> dict:
    """One row of the public table."""
    return {
        "timestamp": f"{day} 12:00:00 UTC",
        "country_code": "US",
        "url": "/packages/x.whl",
        "project": project,
        "file": {"filename": "x.whl", "project": project, "version": version, "type": "bdist_wheel"},
        "details": {
            "installer": {"name": installer, "version": "1"},
            "python": python,
            "implementation": {"name": "CPython", "version": python},
            "system": {"name": system, "release": "1"},
            "cpu": "x86_64",
            "ci": None,
        },
        "tls_protocol": "TLSv1.3",
    }


def write_rows(path: Path, days: dict | None = None) -> Path:
    """Every day's rows (DAYS unless given, in its shape) as one NDJSON file."""
    with path.open("w") as out:
        for day, groups in (DAYS if days is None else days).items():
            for project, version, installer, python, system, count in groups:
                line = json.dumps(raw_row(day, project, version, installer, python, system)) + "\n"
                out.write(line * count)
    return path


def import_days(container, path: Path, days: dict | None = None) -> None:
    """Import every day (of DAYS unless given) through the files source, then rebuild the rankings, as
    `pepy import range` does."""
    for day in sorted(DAYS if days is None else days):
        container.import_day()(ImportDay(day, "files", str(path)))
    container.refresh_rankings()(RefreshRankings())


def make_container(database_url: str, **settings):
    """The real container over the test schema, with the clock fixed at TODAY."""
    container = build_container(
        Settings(env="test", database_url=database_url, retention_days=0, rate_limit_tiers=TEST_TIERS, **settings)
    )
    container.clock.override(providers.Object(lambda: TODAY))
    return container


def close(container) -> None:
    """Close the container's pools."""
    close_pools(container)
    container.unwire()


@pytest.fixture(scope="module")
def loaded_database(database_url, tmp_path_factory):
    """The test schema holding DAYS, imported once for the module's tests (which only read)."""
    clean(database_url)
    container = make_container(database_url)
    import_days(container, write_rows(tmp_path_factory.mktemp("rows") / "rows.ndjson"))
    container.api_keys().add("admin", hash_secret(ADMIN_SECRET), "pro", ("read", "admin"))
    container.api_keys().add("pro", hash_secret(PRO_SECRET), "pro", ("read", "pro"))
    container.api_keys().add("reader", hash_secret(READ_SECRET), "free", ("read",))
    container.api_keys().add("former", hash_secret(REVOKED_SECRET), "pro", ("read", "admin"))
    container.api_keys().revoke("former")
    close(container)
    return database_url


@pytest.fixture
def api(loaded_database):
    """A container over the loaded data; tests may override its providers and configuration."""
    container = make_container(loaded_database)
    yield container
    close(container)


@pytest.fixture
def api_client(api):
    """A test client of the app built from `api`."""
    return create_app(api).test_client()
