"""The import ledger's read side, for readiness and metrics, through the read (replica) pool."""

from __future__ import annotations

from pepy.application.operations import LastImport, LedgerReadStore, LedgerSummary
from pepy.infrastructure.postgres.pool import ConnectionPool

# The newest day whose last attempt succeeded: its times and counts all belong to that success, whereas a day
# being re-imported keeps its old counts but has a new start time.
_LAST_IMPORT = """
SELECT day, source, started_at, finished_at, version_rows, category_rows, project_rows, bytes_billed
FROM imports WHERE status = 'succeeded' ORDER BY succeeded_at DESC LIMIT 1
"""

_TOTALS = """
SELECT max(succeeded_at), max(day) FILTER (WHERE succeeded_at IS NOT NULL),
       count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'succeeded'),
       count(*) FILTER (WHERE status = 'failed')
FROM imports
"""


class PostgresLedgerStore(LedgerReadStore):
    """LedgerReadStore on PostgreSQL.

    A 'running' day is reported as such: telling an interrupted import from a live one needs the primary's
    locks, which a replica does not see (`pepy import status` asks the primary).
    """

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    def summary(self) -> LedgerSummary:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(_LAST_IMPORT)
            row = cur.fetchone()
            cur.execute(_TOTALS)
            last_success_at, last_day, running, succeeded, failed = cur.fetchone()
        return LedgerSummary(
            last_import=LastImport(*row) if row else None,
            last_success_at=last_success_at,
            last_imported_day=last_day,
            days_by_status={"running": running, "succeeded": succeeded, "failed": failed},
        )

    def is_available(self) -> bool:
        return self._pool.is_available()
