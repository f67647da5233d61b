"""A database of its own for a benchmark: never the tests' schema, never production."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

import psycopg2

from pepy.infrastructure.postgres import migrate
from pepy.infrastructure.postgres.embedded import EmbeddedPostgres

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "pepy_bench"


def prepare_database(server: str, name: str, fresh: bool) -> str:
    """The URL of database `name` on the server: dropped first if `fresh`, created if missing, migrated."""
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        if fresh:
            # FORCE: a connection closed a moment ago may still have its server process.
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f"CREATE DATABASE {name}")
    conn.close()
    url = server.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    return url


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A freshly migrated `pepy_bench` database on PEPY_BENCH_SERVER_URL, the local server, or a throwaway one."""
    server = os.environ.get("PEPY_BENCH_SERVER_URL", LOCAL_SERVER)
    try:
        psycopg2.connect(server, connect_timeout=3).close()
        embedded = None
    except psycopg2.OperationalError:
        folder = tempfile.mkdtemp(prefix="pepy-bench-pg-")
        embedded = EmbeddedPostgres(folder, durable=False)
        server = embedded.start().rsplit("/", 1)[0] + "/postgres"
    try:
        yield prepare_database(server, DATABASE, fresh=True)
    finally:
        if embedded is not None:
            embedded.stop()
            shutil.rmtree(embedded.folder, ignore_errors=True)
