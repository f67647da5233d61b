"""Each project's day documents of a finished month in one row (migration 0012), for v2's whole-month window.

A month is documented after an import run, once its last day is past the daily run's re-imports, and only while
v2's window still reaches it: every project's row is written under the locks of every import that writes the
month (as its rewrite in project order takes them, compaction.py), and the month is listed in
`documented_months`. A write of any day of a listed month (its import, or retention clearing its documents) drops
the month's rows and listing in the same transaction (`day_written`), so a listed month always agrees with its
days; the next run documents it again. A read takes the listed months of its window from here and every other
day from project_days (day_documents.VERSION_DOWNLOADS).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from pepy.domain.downloads import DocumentedMonth, next_month
from pepy.infrastructure.postgres.compaction import lock_month_for_writing
from pepy.infrastructure.postgres.pool import ConnectionPool

log = logging.getLogger(__name__)

_MONTHS_TO_DOCUMENT = """
SELECT m::date FROM generate_series(%(oldest)s::date, %(ended_before)s::date - 1, interval '1 month') m
WHERE (m + interval '1 month')::date <= %(ended_before)s
  AND NOT EXISTS (SELECT 1 FROM documented_months d WHERE d.month = m::date)
  AND EXISTS (SELECT 1 FROM project_days WHERE day >= m::date AND day < (m + interval '1 month')::date)
ORDER BY 1 DESC
"""

# The versions of a run of days are its first day's keys and each later day's new versions (migration 0003).
_DOCUMENT = """
WITH days AS MATERIALIZED (
    SELECT project_id, day, versions_json, new_versions, day = min(day) OVER (PARTITION BY project_id) AS first_day
    FROM project_days
    WHERE day >= %(month)s AND day < %(following)s AND versions_json IS NOT NULL
),
versions AS (
    SELECT project_id, array_agg(DISTINCT version) AS versions
    FROM days CROSS JOIN LATERAL unnest(
        CASE WHEN first_day THEN ARRAY(SELECT json_object_keys(versions_json::json)) ELSE new_versions END
    ) AS version
    GROUP BY project_id
),
documents AS (
    SELECT project_id, string_agg('"' || day::text || '":' || versions_json, ',' ORDER BY day) AS versions_json
    FROM days GROUP BY project_id
)
INSERT INTO project_month_documents (project_id, month, versions_json, versions)
SELECT project_id, %(month)s, d.versions_json, coalesce(v.versions, '{}')
FROM documents d LEFT JOIN versions v USING (project_id)
ORDER BY project_id
"""


def day_written(cur, day: date) -> None:
    """Undo, in the transaction that writes a day (under its lock), what a run did to the day's finished month: its
    rewrite in project order (compaction.py) and its documents. The next run does both again."""
    cur.execute("DELETE FROM month_compactions WHERE month = %s", (day.replace(day=1),))
    _forget(cur, "month = %s", day.replace(day=1))


def _forget(cur, months: str, parameter: date) -> None:
    cur.execute(f"DELETE FROM documented_months WHERE {months} RETURNING month", (parameter,))
    forgotten = [month for (month,) in cur.fetchall()]
    # Only then: a month's rows are a scan of the table, which an import of an undocumented month need not pay.
    if forgotten:
        cur.execute("DELETE FROM project_month_documents WHERE month = ANY(%s)", (forgotten,))


def document_months(
    pool: ConnectionPool, ended_before: date, oldest: date, lock_day: Callable[[Any, date], None]
) -> list[DocumentedMonth]:
    """Document each month from `oldest` that ended before the day, has days and is not documented, newest first,
    each in its own transaction; drop the documents of months before `oldest`. `lock_day(cur, day)` takes the lock
    of whatever writes a day's rows (repository.lock_day_for_writing)."""
    oldest = oldest.replace(day=1)
    with pool.connection() as conn, conn.cursor() as cur:
        _forget(cur, "month < %s", oldest)
        cur.execute(_MONTHS_TO_DOCUMENT, {"oldest": oldest, "ended_before": ended_before})
        months = [month for (month,) in cur.fetchall()]
    return [month for month in (_document(pool, month, lock_day) for month in months) if month is not None]


def _document(pool: ConnectionPool, month: date, lock_day: Callable[[Any, date], None]) -> DocumentedMonth | None:
    started = time.monotonic()
    following = next_month(month)
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '512MB'")
        lock_month_for_writing(cur, month, lock_day)
        # Another run may have documented it while this one waited.
        cur.execute("SELECT 1 FROM documented_months WHERE month = %s", (month,))
        if cur.fetchone() is not None:
            return None
        cur.execute(_DOCUMENT, {"month": month, "following": following})
        projects = cur.rowcount
        cur.execute("INSERT INTO documented_months (month, projects) VALUES (%s, %s)", (month, projects))
    documented = DocumentedMonth(month, projects, time.monotonic() - started)
    log.info(
        "month documented",
        extra={"month": month.isoformat(), "projects": projects, "seconds": round(documented.seconds, 3)},
    )
    return documented
