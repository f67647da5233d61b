"""The connection pool's two modes on real PostgreSQL: a transaction per block, or a transaction per statement."""

import psycopg2
import psycopg2.extensions
import pytest

from pepy.domain.errors import DatabaseUnavailable
from pepy.infrastructure.postgres.pool import ConnectionPool
from tests.conftest import with_search_path


def test_a_transactional_block_commits_together_and_rolls_back_together(db):
    pool = ConnectionPool(db, max_connections=1)
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE seen (n int)")
        cur.execute("INSERT INTO seen VALUES (1)")
        assert conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INTRANS
    with pytest.raises(psycopg2.errors.DivisionByZero), pool.connection() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO seen VALUES (2)")
        cur.execute("SELECT 1 / 0")
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT array_agg(n) FROM seen")
        assert cur.fetchone() == ([1],)
    pool.close()


def test_an_autocommit_pool_leaves_no_transaction_open_and_keeps_each_statement(db):
    pool = ConnectionPool(db, max_connections=1, autocommit=True)
    with pytest.raises(psycopg2.errors.DivisionByZero), pool.connection() as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE seen (n int)")
        cur.execute("INSERT INTO seen VALUES (1)")
        # No BEGIN was sent: the server holds no transaction between statements.
        assert conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        cur.execute("SELECT 1 / 0")
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT array_agg(n) FROM seen")
        assert cur.fetchone() == ([1],)
    pool.close()


def test_a_database_nobody_migrated_is_unavailable_with_the_fix_named(server_url):
    # A search path naming a schema that does not exist: no table of pepy's can be found.
    pool = ConnectionPool(with_search_path(server_url, "pepy_never_migrated"), max_connections=1)
    with (
        pytest.raises(
            DatabaseUnavailable, match=r'"imports" does not exist: apply the migrations with `pepy db upgrade`'
        ),
        pool.connection() as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SELECT count(*) FROM imports")
    pool.close()
