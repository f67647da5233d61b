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
        conn = psycopg2.connect(server)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {DATABASE}")
        conn.close()
        url = server.rsplit("/", 1)[0] + f"/{DATABASE}"
        migrate.upgrade(url)
        yield url
    finally:
        if embedded is not None:
            embedded.stop()
            shutil.rmtree(embedded.folder, ignore_errors=True)
