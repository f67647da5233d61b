"""Prepared statements on real PostgreSQL: prepared once per connection, found again, and bounded in number; the
reads that use them."""

import pytest

from pepy.domain.downloads import Breakdown
from pepy.domain.read_models import CategoryDay
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.prepared import PreparedStatements
from pepy.infrastructure.postgres.read_store import PostgresProjectReadStore
from tests.integration.test_repository import DAY, FIRST, run_import

DOUBLE = "SELECT $1 * 2, $2 || '!'"


@pytest.fixture
def pool(db):
    """One autocommit connection, as the read and access pools hand out."""
    pool = ConnectionPool(db, max_connections=1, autocommit=True)
    yield pool
    pool.close()


def prepared_names(cur) -> list[str]:
    cur.execute("SELECT name FROM pg_prepared_statements ORDER BY name")
    return [name for (name,) in cur.fetchall()]


def test_a_statement_is_prepared_once_per_connection_with_its_parameter_types(pool):
    statements = PreparedStatements()
    with pool.connection() as conn, conn.cursor() as cur:
        for n in range(3):
            statements.execute(cur, DOUBLE, ("int", "text"), (n, "x"))
            assert cur.fetchone() == (n * 2, "x!")
        assert len(prepared_names(cur)) == 1
        cur.execute("SHOW plan_cache_mode")
        assert cur.fetchone() == ("force_generic_plan",)


def test_a_connection_that_holds_the_statement_already_is_not_asked_to_prepare_it_again(pool):
    with pool.connection() as conn, conn.cursor() as cur:
        PreparedStatements().execute(cur, DOUBLE, ("int", "text"), (1, "a"))
        # A second holder (as after a reload) finds it on the pooled connection instead of failing on PREPARE.
        PreparedStatements().execute(cur, DOUBLE, ("int", "text"), (2, "b"))
        assert cur.fetchone() == (4, "b!")
        assert len(prepared_names(cur)) == 1


def test_past_the_bound_a_connection_drops_the_statement_run_longest_ago_and_goes_on(pool):
    statements = PreparedStatements()
    hot = "SELECT $1 * 10"
    with pool.connection() as conn, conn.cursor() as cur:
        # A client choosing a new window each time, between requests that run the hot statement.
        for n in range(3 * PreparedStatements.MAX_PER_CONNECTION):
            statements.execute(cur, f"SELECT $1 + {n}", ("int",), (1,))
            assert cur.fetchone() == (1 + n,)
            statements.execute(cur, hot, ("int",), (2,))
            assert cur.fetchone() == (20,)
            assert len(prepared_names(cur)) <= PreparedStatements.MAX_PER_CONNECTION
        cur.execute("SELECT statement FROM pg_prepared_statements")
        kept = {statement.partition(" AS ")[2] for (statement,) in cur.fetchall()}
        newest = {
            f"SELECT $1 + {n}"
            for n in range(2 * PreparedStatements.MAX_PER_CONNECTION + 1, 3 * PreparedStatements.MAX_PER_CONNECTION)
        }
        assert kept == newest | {hot}


def test_a_new_server_connection_gets_the_statement_prepared_anew(pool):
    statements = PreparedStatements()
    with pool.connection() as conn, conn.cursor() as cur:
        statements.execute(cur, DOUBLE, ("int", "text"), (1, "a"))
        cur.fetchone()
        first_backend = conn.info.backend_pid
    pool.close()
    with pool.connection() as conn, conn.cursor() as cur:
        assert conn.info.backend_pid != first_backend
        statements.execute(cur, DOUBLE, ("int", "text"), (3, "c"))
        assert cur.fetchone() == (6, "c!")


def test_the_breakdowns_read_is_prepared_once_per_window_and_reads_the_stored_categories(container, db):
    run_import(container, FIRST)
    read_pool = ConnectionPool(db, max_connections=1, autocommit=True)
    store = PostgresProjectReadStore(read_pool, container.ledger())
    try:
        for _ in range(3):
            found = store.category_days("flask", Breakdown.SYSTEM, DAY, DAY, None, any_category=True)
            assert found.rows == [CategoryDay(DAY, "Linux", 4), CategoryDay(DAY, None, 3)]
        assert store.category_days("flask", Breakdown.SYSTEM, DAY, DAY, "linux", any_category=False).rows == [
            CategoryDay(DAY, "Linux", 4)
        ]
        assert store.category_days("nobody", Breakdown.SYSTEM, DAY, DAY, None, any_category=True) is None
        with read_pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%categories_json%'")
            assert cur.fetchone() == (1,)
    finally:
        read_pool.close()
