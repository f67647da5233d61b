"""A thread-safe psycopg2 connection pool that hands out healthy connections.

The driver's connection failures and statement timeouts leave it as the domain's DatabaseUnavailable and
DatabaseTimeout, so that nothing above the adapters knows the driver.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import select
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.pool

from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class SessionEnded(DatabaseUnavailable):
    """A hot standby ended the session during a statement: in the way of its replay while the session was sending
    rows, it cannot cancel only the statement."""


def rerun_if_session_ended(read: Callable[P, T]) -> Callable[P, T]:
    """Decorate a read: run it once more, on a new connection, when a standby ended its session part way. A read
    changes nothing, so running it again is safe; by then replay has gone past the conflict."""

    @functools.wraps(read)
    def rerun(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return read(*args, **kwargs)
        except SessionEnded as error:
            log.info("read run again after the replica ended its session", extra={"reason": str(error)})
            return read(*args, **kwargs)

    return rerun


class ConnectionPool:
    """Connections to one server, opened lazily; a broken connection is discarded, not returned.

    `statement_timeout_ms` bounds every statement on the pool's connections, so a bad read cannot pin
    a worker; `read_only` makes the connections refuse writes. With `autocommit`, each statement is its own
    transaction: one round trip where a transaction costs three (BEGIN, the statement, COMMIT), for pools whose
    every use is one statement, or statements that need no common snapshot. An autocommit pool may retry, up to
    `recovery_conflict_retries` times, a statement a hot standby cancelled for a conflict with its recovery.
    """

    def __init__(
        self,
        dsn: str,
        max_connections: int = 4,
        statement_timeout_ms: int = 0,
        read_only: bool = False,
        connect_timeout_s: int = 5,
        autocommit: bool = False,
        recovery_conflict_retries: int = 0,
    ):
        if recovery_conflict_retries and not autocommit:
            raise ValueError("only a statement that is its own transaction can be run again")
        self._dsn = dsn
        self._max = max_connections
        self._statement_timeout_ms = statement_timeout_ms
        self._read_only = read_only
        self._connect_timeout_s = connect_timeout_s
        self._autocommit = autocommit
        self._on_standby = bool(recovery_conflict_retries)
        self._cursor_factory = (
            type("RetryingCursor", (_RecoveryConflictRetryingCursor,), {"retries": recovery_conflict_retries})
            if recovery_conflict_retries
            else psycopg2.extensions.cursor
        )
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._lock = threading.Lock()

    def _connect(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._lock:
            if self._pool is None:
                params = psycopg2.extensions.parse_dsn(self._dsn)
                # Appended to any options the URL carries (a search_path, say), not replacing them.
                options = [params.pop("options", ""), f"-c statement_timeout={int(self._statement_timeout_ms)}"]
                if self._read_only:
                    options.append("-c default_transaction_read_only=on")
                params.setdefault("connect_timeout", self._connect_timeout_s)
                params.setdefault("application_name", "pepy")
                # minconn = maxconn: psycopg2 closes a returned connection whenever the pool already holds
                # minconn idle ones, and a connection per request costs more than most queries.
                self._pool = psycopg2.pool.ThreadedConnectionPool(
                    self._max,
                    self._max,
                    options=" ".join(o for o in options if o),
                    cursor_factory=self._cursor_factory,
                    **params,
                )
            return self._pool

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """A connection in a transaction (committed when the block ends, rolled back if it raises), or in
        autocommit mode for an autocommit pool."""
        try:
            pool = self._connect()
            conn = pool.getconn()
            # A session the server ended while it sat here (a restart, or a standby ending an idle session in the
            # way of its replay) would fail its first statement: it is replaced instead.
            while _ended_by_server(conn):
                pool.putconn(conn, close=True)
                conn = pool.getconn()
        except (psycopg2.OperationalError, psycopg2.pool.PoolError) as error:
            raise DatabaseUnavailable(str(error).strip()) from error
        broken = False
        try:
            if conn.autocommit != self._autocommit:
                conn.autocommit = self._autocommit
            yield conn
            if not self._autocommit:
                conn.commit()
        except psycopg2.extensions.QueryCanceledError as error:
            broken = not _rollback(conn)
            raise DatabaseTimeout(str(error).strip()) from error
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            broken = True
            if self._on_standby and conn.closed:
                raise SessionEnded(str(error).strip()) from error
            raise DatabaseUnavailable(str(error).strip()) from error
        except psycopg2.errors.UndefinedTable as error:
            # A database nobody migrated: the operator's fix, not a bug.
            broken = not _rollback(conn)
            message = str(error).strip().splitlines()[0]
            raise DatabaseUnavailable(f"{message}: apply the migrations with `pepy db upgrade`") from error
        except BaseException:
            broken = not _rollback(conn)
            raise
        finally:
            pool.putconn(conn, close=broken or conn.closed != 0)

    def is_available(self) -> bool:
        """Whether the server answers a trivial query now."""
        try:
            with self.connection() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                return cur.fetchone() == (1,)
        except DatabaseUnavailable:
            return False

    def close(self) -> None:
        """Close every connection; the pool reopens lazily if used again."""
        with self._lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


class _RecoveryConflictRetryingCursor(psycopg2.extensions.cursor):
    """A cursor that runs a statement again when a hot standby cancelled it for a conflict with its recovery.

    Replaying the primary's WAL, a standby cancels the queries in its way (SQLSTATE 40001, "canceling statement
    due to conflict with recovery"): those holding a lock that replay needs (an import swapping a day's
    partition), or a snapshot that still sees rows the primary removed. A read that is its own transaction can
    simply run again: by then replay has gone past the conflict, or holds the lock until the import's commit is
    replayed, which the statement waits for. On a primary no read-only statement fails this way.
    """

    retries = 0

    def execute(self, query, vars=None):
        for _ in range(self.retries):
            try:
                return super().execute(query, vars)
            except psycopg2.errors.SerializationFailure as error:
                log.info("read run again after a conflict with the replica's recovery", extra={"reason": str(error)})
        return super().execute(query, vars)


def _ended_by_server(conn) -> bool:
    # An idle session hears nothing from PostgreSQL unless the server ends it: then the error that says why, and
    # the end of the stream, wait on the socket. One poll (not select: a busy process's descriptors may pass 1024),
    # no round trip.
    if conn.closed:
        return True
    readable = select.poll()
    readable.register(conn, select.POLLIN)
    return bool(readable.poll(0))


def _rollback(conn) -> bool:
    try:
        conn.rollback()
        return True
    except psycopg2.Error:
        return False
