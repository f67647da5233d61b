"""The import ledger on PostgreSQL: the `imports` table, one row a day."""

from __future__ import annotations

import time
from datetime import date

from pepy.domain.ports import ImportLedger
from pepy.domain.read_models import Freshness, LastImport, LedgerEntry, LedgerSummary
from pepy.infrastructure.postgres.pool import ConnectionPool, rerun_if_session_ended
from pepy.infrastructure.postgres.repository import DAY_LOCK_PREFIX, LOCK_NAMESPACE

_FRESHNESS = "SELECT max(succeeded_at), max(day) FILTER (WHERE succeeded_at IS NOT NULL) FROM imports"

# The newest day whose last attempt succeeded: its times and counts all belong to that success, whereas a day
# being re-imported keeps its old counts but has a new start time.
_LAST_IMPORT = """
SELECT day, source, started_at, finished_at, version_rows, category_rows, project_rows, bytes_billed
FROM imports WHERE status = 'succeeded' ORDER BY succeeded_at DESC LIMIT 1
"""

_DAYS_BY_STATUS = "SELECT status, count(*) FROM imports GROUP BY status"

# A 'running' day whose importer no longer holds the day's lock was interrupted (killed, or lost).
_ENTRIES = """
SELECT day, source, status, started_at, finished_at, rows_written, bytes_billed, error,
       status = 'running' AND NOT EXISTS (
           SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
             AND l.classid = %s AND l.objid = hashtext(current_schema() || ':' || %s || i.day::text)::oid
             AND l.objsubid = 2
       ) AS interrupted
FROM imports i WHERE day BETWEEN %s AND %s ORDER BY day
"""


class PostgresImportLedger(ImportLedger):
    """ImportLedger on PostgreSQL, over the pool it is given.

    Over the primary it tells an interrupted import from a running one (that needs the primary's locks); over
    a replica, a 'running' day whose importer died still reads as running. Freshness is asked on every
    request (for caching headers), so its answer is kept for `freshness_ttl_s` seconds.
    """

    def __init__(self, pool: ConnectionPool, freshness_ttl_s: float = 5.0):
        self._pool = pool
        self._freshness_ttl_s = freshness_ttl_s
        self._freshness: tuple[float, Freshness] | None = None

    def record_start(self, day: date, source: str) -> None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                """INSERT INTO imports (day, source, status, started_at) VALUES (%s, %s, 'running', clock_timestamp())
                   ON CONFLICT (day) DO UPDATE SET source = EXCLUDED.source, status = 'running',
                       started_at = EXCLUDED.started_at, finished_at = NULL, error = NULL""",
                (day, source),
            )

    def record_failure(self, day: date, error: str) -> None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE imports SET status = 'failed', finished_at = clock_timestamp(), error = %s WHERE day = %s",
                (error[:4000], day),
            )

    @rerun_if_session_ended
    def entries(self, start: date, end: date) -> dict[date, LedgerEntry]:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(_ENTRIES, (LOCK_NAMESPACE, DAY_LOCK_PREFIX, start, end))
            entries = {}
            for day, source, status, started, finished, rows, billed, error, interrupted in cur.fetchall():
                if interrupted:
                    status, error = "failed", "interrupted: the import stopped before it finished"
                entries[day] = LedgerEntry(day, source, status, started, finished, rows, billed, error)
            return entries

    @rerun_if_session_ended
    def freshness(self) -> Freshness:
        cached = self._freshness
        if cached is not None and time.monotonic() - cached[0] < self._freshness_ttl_s:
            return cached[1]
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(_FRESHNESS)
            freshness = Freshness(*cur.fetchone())
        self._freshness = (time.monotonic(), freshness)
        return freshness

    @rerun_if_session_ended
    def summary(self) -> LedgerSummary:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(_LAST_IMPORT)
            last = cur.fetchone()
            cur.execute(_FRESHNESS)
            last_success_at, last_day = cur.fetchone()
            cur.execute(_DAYS_BY_STATUS)
            by_status = dict(cur.fetchall())
        return LedgerSummary(
            last_import=LastImport(*last) if last else None,
            last_success_at=last_success_at,
            last_imported_day=last_day,
            days_by_status={status: by_status.get(status, 0) for status in ("running", "succeeded", "failed")},
        )

    def is_available(self) -> bool:
        return self._pool.is_available()
