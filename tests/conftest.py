"""The test harness: finds or starts a real PostgreSQL, gives each test a clean schema state.

PostgreSQL is found in this order: PEPY_TEST_DATABASE_URL; a server answering at 127.0.0.1:5432
(database `test`); otherwise a throwaway server started from the machine's binaries and stopped at the end.
No database is a failure that says why, never a silent skip. The replica's tests get a throwaway primary and a
hot standby of their own, started from the same binaries when the first of them runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from dependency_injector import providers

from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.container import Container, build_container, close_pools
from pepy.infrastructure.postgres import migrate
from pepy.infrastructure.postgres.embedded import EmbeddedPostgres
from pepy.infrastructure.postgres.embedded_replication import RECOMMENDED_STANDBY_SETTINGS, ReplicatedPostgres
from pepy.infrastructure.settings import Settings

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
# One schema per test process, so two runs against the same server never drop each other's tables.
SCHEMA = f"pepy_test_{os.getpid()}"
# The tests' "today": fixed, so windows and "yesterday" are deterministic.
TODAY = date(2026, 11, 21)
# Anonymous clients all but unlimited, so that tests sending many requests are not refused; the limiter's own
# tests set their tiers.
TEST_TIERS = "anonymous:6000000:1000000,free:300:60,pro:3000:600"


def _answers(url: str) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


def with_search_path(url: str, schema: str) -> str:
    """The URL with every connection's search_path set to the schema."""
    return with_options(url, f"-csearch_path={schema}")


def with_options(url: str, options: str) -> str:
    """The URL with libpq's `options` (server settings for every connection) added."""
    return f"{url}{'&' if '?' in url else '?'}options={quote(options)}"


def fetch_all(url: str, statement: str) -> list[tuple]:
    """The rows a statement returns, on a connection of its own."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(statement)
        rows = cur.fetchall()
    conn.close()
    return rows


@pytest.fixture(scope="session")
def server_url():
    """A URL of a PostgreSQL server for the whole run."""
    url = os.environ.get("PEPY_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _answers(LOCAL_SERVER):
        yield LOCAL_SERVER
        return
    folder = tempfile.mkdtemp(prefix="pepy-test-pg-")
    server = EmbeddedPostgres(folder, durable=False)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def reset_schema(server_url: str, schema: str, create: bool = True) -> None:
    """Drop the schema, and create it empty again unless told not to."""
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE" + (f"; CREATE SCHEMA {schema}" if create else ""))
    conn.close()


@pytest.fixture(scope="session")
def database_url(server_url):
    """A migrated schema of its own, so the tests never touch anything else in the database."""
    reset_schema(server_url, SCHEMA)
    url = with_search_path(server_url, SCHEMA)
    migrate.upgrade(url)
    yield url
    reset_schema(server_url, SCHEMA, create=False)


def clean(url: str) -> None:
    """Empty every table and drop every day partition."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent IN ('version_downloads'::regclass, 'category_downloads'::regclass,
                                     'project_days'::regclass)"""
        )
        for (name,) in cur.fetchall():
            cur.execute(f'DROP TABLE "{name}"')
        cur.execute(
            "TRUNCATE projects, project_recent_days, imports, api_keys, rate_limits, rankings, ranked_projects, "
            "month_compactions, project_month_documents, documented_months "
            "RESTART IDENTITY"
        )
    conn.close()


@pytest.fixture
def db(database_url):
    """A clean database for one test; yields its URL."""
    clean(database_url)
    yield database_url


@pytest.fixture
def settings(db) -> Settings:
    """Test settings over the clean database."""
    return Settings(env="test", database_url=db, retention_days=0, rate_limit_tiers=TEST_TIERS)


@pytest.fixture
def container(settings) -> Container:
    """The real container, with the clock fixed at TODAY."""
    container = build_container(settings)
    container.clock.override(providers.Object(lambda: TODAY))
    yield container
    close_pools(container)
    container.unwire()


@pytest.fixture
def client(container):
    """A Flask test client of the app built from the container."""
    return create_app(container).test_client()


@pytest.fixture(scope="session")
def replicated():
    """A throwaway primary and a hot standby streaming from it, the primary migrated, for the whole run."""
    servers = ReplicatedPostgres(Path(tempfile.mkdtemp(prefix="pepy-test-replica-")), RECOMMENDED_STANDBY_SETTINGS)
    try:
        primary, _ = servers.start()
        migrate.upgrade(primary)
        yield servers
    finally:
        servers.remove()


@pytest.fixture
def replica(replicated):
    """The primary and its standby for one test: emptied, replayed, and with the standby's settings restored."""
    clean(replicated.primary.url)
    replicated.wait_for_replay()
    yield replicated
    replicated.configure_standby(**RECOMMENDED_STANDBY_SETTINGS)
    replicated.resume_replay()
