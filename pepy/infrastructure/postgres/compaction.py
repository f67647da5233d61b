"""Finished months of project_days rewritten in (project_id, day) order (migration 0009).

A day's import appends every project's row of that day, so a project's rows of a month lie in one heap block per
day; rewritten in order they lie in one or two, and a read of a project's 90 days touches a handful of blocks
instead of 90. The month is copied aside in order while reads go on from the old copy, then swapped in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from psycopg2 import sql

from pepy.domain.downloads import CompactedMonth, next_month
from pepy.infrastructure.postgres.pool import ConnectionPool

log = logging.getLogger(__name__)

_MONTHS_TO_COMPACT = """
SELECT to_date(right(c.relname, 6), 'YYYYMM') AS month
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'project_days'::regclass AND c.relname ~ '^project_days_[0-9]{6}$'
  AND (to_date(right(c.relname, 6), 'YYYYMM') + interval '1 month')::date <= %s
  AND NOT EXISTS (SELECT 1 FROM month_compactions m WHERE m.month = to_date(right(c.relname, 6), 'YYYYMM'))
ORDER BY month DESC
LIMIT %s
"""


def months_to_compact(pool: ConnectionPool, ended_before: date, limit: int) -> list[date]:
    """The first days of up to `limit` months that ended before the day and changed since their last rewrite,
    newest first."""
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute(_MONTHS_TO_COMPACT, (ended_before, limit))
        return [month for (month,) in cur.fetchall()]


def lock_month_for_writing(cur, month: date, lock_day: Callable[[Any, date], None]) -> None:
    """Take, until the transaction ends, the locks of every import that writes the month's rows (a day's import also
    writes the next day's row, so the day before the month's too), in day order: whatever holds several of them
    takes them this way, so that none of them can deadlock on another."""
    following = next_month(month)
    for n in range((following - month).days + 1):
        lock_day(cur, month - timedelta(days=1) + timedelta(days=n))


def compact_month(pool: ConnectionPool, month: date, lock_day: Callable[[Any, date], None]) -> CompactedMonth:
    """Rewrite one month's partition in project order, in one transaction: all of it, or nothing. `lock_day(cur,
    day)` takes the lock of whatever writes a day's rows (repository.lock_day_for_writing)."""
    started = time.monotonic()
    following = next_month(month)
    final = f"project_days_{month:%Y%m}"
    new = f"{final}_compact"
    ident, literal = sql.Identifier, sql.Literal
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Before the partition's lock: an import of another month never waits on this rewrite, so the two cannot
        # deadlock.
        lock_month_for_writing(cur, month, lock_day)
        cur.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(ident(final)))
        cur.execute(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = 'project_days'::regclass AND attnum > 0 AND NOT attisdropped"
        )
        columns = sql.SQL(cur.fetchone()[0])
        cur.execute(
            sql.SQL(
                "CREATE TABLE {new} (LIKE project_days INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                "CHECK (day >= {a} AND day < {b}))"
            ).format(new=ident(new), a=literal(month), b=literal(following))
        )
        cur.execute(
            sql.SQL("INSERT INTO {new} ({columns}) SELECT {columns} FROM {final} ORDER BY project_id, day").format(
                new=ident(new), columns=columns, final=ident(final)
            )
        )
        rows = cur.rowcount
        # The parent's indexes, built once over the ordered rows; ATTACH adopts them rather than building its own.
        # Their leaves are filled: a finished month's days are rarely written again, and then it is rewritten.
        cur.execute(
            sql.SQL(
                "ALTER TABLE {} ADD PRIMARY KEY (project_id, day) INCLUDE (downloads, non_mirror_downloads) "
                "WITH (fillfactor = 100)"
            ).format(ident(new))
        )
        cur.execute(sql.SQL("CREATE INDEX ON {} (day) WITH (fillfactor = 100)").format(ident(new)))
        # The swap locks the parent, which queues every read behind it: if it cannot have it soon, the next run
        # tries again.
        cur.execute("SET LOCAL lock_timeout = '5s'")
        cur.execute(sql.SQL("DROP TABLE {}").format(ident(final)))
        cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(ident(new), ident(final)))
        cur.execute(
            sql.SQL("ALTER TABLE project_days ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
                ident(final), literal(month), literal(following)
            )
        )
        cur.execute(
            """INSERT INTO month_compactions (month, rows_written) VALUES (%s, %s)
               ON CONFLICT (month) DO UPDATE SET rows_written = excluded.rows_written, compacted_at = now()""",
            (month, rows),
        )
    compacted = CompactedMonth(month, rows, time.monotonic() - started)
    log.info(
        "month compacted", extra={"month": month.isoformat(), "rows": rows, "seconds": round(compacted.seconds, 3)}
    )
    return compacted
