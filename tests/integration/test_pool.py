"""The connection pool on real PostgreSQL: a transaction per block or per statement, and sessions the server ended
while they were idle replaced before use."""

from datetime import date

import psycopg2
import psycopg2.extensions
import pytest

from pepy.domain.errors import DatabaseUnavailable
from pepy.infrastructure.postgres.pool import ConnectionPool, SessionEnded, rerun_if_session_ended
from tests.conftest import with_options, with_search_path


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


def test_dates_are_written_in_iso_whatever_the_url_asks_as_the_day_documents_need(server_url):
    # psycopg2 sets the DateStyle of every session it opens: the day documents' keys are days as text.
    pool = ConnectionPool(with_options(server_url, "-cDateStyle=German"), max_connections=1)
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT DATE '2026-12-03'::text, DATE '2026-12-03'")
        assert cur.fetchone() == ("2026-12-03", date(2026, 12, 3))
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


def test_a_session_the_server_ended_while_idle_is_replaced_before_a_statement_is_sent(db):
    pool = ConnectionPool(db, max_connections=2, autocommit=True)
    with pool.connection() as first, pool.connection() as second:
        pids = {first.info.backend_pid, second.info.backend_pid}
    killer = psycopg2.connect(db)
    killer.autocommit = True
    with killer.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid", (list(pids),))
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),))
        while cur.fetchone()[0]:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),))
    killer.close()

    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        assert cur.fetchone()[0] not in pids
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


def _ended_part_way(pool: ConnectionPool, calls: list[int]) -> int:
    # The first call's session is ended by the server during its statement, as a standby ends one in the way of
    # its replay; the second runs undisturbed.
    with pool.connection() as conn, conn.cursor() as cur:
        calls.append(conn.info.backend_pid)
        if len(calls) == 1:
            cur.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        cur.execute("SELECT 42")
        return cur.fetchone()[0]


def test_a_read_whose_session_a_standby_ended_part_way_runs_once_more_on_a_new_connection(db):
    pool = ConnectionPool(db, max_connections=1, autocommit=True, recovery_conflict_retries=1)
    calls: list[int] = []
    assert rerun_if_session_ended(_ended_part_way)(pool, calls) == 42
    assert len(calls) == 2 and calls[0] != calls[1]
    pool.close()


def test_on_a_primary_an_ended_session_is_unavailable_and_not_run_again(db):
    pool = ConnectionPool(db, max_connections=1, autocommit=True)
    calls: list[int] = []
    with pytest.raises(DatabaseUnavailable) as ended:
        rerun_if_session_ended(_ended_part_way)(pool, calls)
    assert not isinstance(ended.value, SessionEnded) and len(calls) == 1
    pool.close()
