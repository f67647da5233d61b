"""The write side's store: replaces days atomically and keeps totals exact; records each success in the ledger."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from pepy.domain.downloads import Breakdown, CompactedMonth, DayRow, DocumentedMonth, next_month
from pepy.domain.errors import InvalidImport
from pepy.domain.model import PROJECT_NAME_MAX_LENGTH, Downloads, ProjectName
from pepy.domain.ports import DownloadsRepository
from pepy.domain.rankings import Ranking, RankingsBuilt
from pepy.infrastructure.postgres import compaction, day_documents, month_documents, recent_days
from pepy.infrastructure.postgres import rankings as ranking_sql
from pepy.infrastructure.postgres.copy import CopyStream, copy_line
from pepy.infrastructure.postgres.day_partitions import DayPartition
from pepy.infrastructure.postgres.pool import ConnectionPool

log = logging.getLogger(__name__)

# Advisory locks of pepy live under this first key; the second is hashtext(schema:name), since advisory
# locks belong to the whole database and two schemas may each hold a pepy.
LOCK_NAMESPACE = 74310
DAY_LOCK_PREFIX = "pepy-import-day:"
RANKINGS_LOCK = "pepy-rankings"
# A stored category longer than this is refused rather than stored.
MAX_STORED_CATEGORY_LENGTH = 1024

_STAGING = f"""
CREATE TEMP TABLE staged_rows (
    project text NOT NULL CHECK (length(project) BETWEEN 1 AND {PROJECT_NAME_MAX_LENGTH}),
    breakdown text NOT NULL CHECK (breakdown IN ({", ".join(repr(b.value) for b in Breakdown)})),
    category text CHECK (length(category) <= {MAX_STORED_CATEGORY_LENGTH}),
    downloads bigint NOT NULL CHECK (downloads >= 0),
    non_mirror_downloads bigint NOT NULL CHECK (non_mirror_downloads BETWEEN 0 AND downloads),
    pip_downloads bigint NOT NULL CHECK (pip_downloads BETWEEN 0 AND downloads),
    ci_downloads bigint NOT NULL CHECK (ci_downloads BETWEEN 0 AND downloads)
) ON COMMIT DROP
"""

_NEW_PROJECTS = """
CREATE TEMP TABLE staged_projects ON COMMIT DROP AS SELECT DISTINCT project AS name FROM staged_rows;
SELECT name FROM staged_projects WHERE name !~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' LIMIT 1;
"""

_INSERT_PROJECTS = """
INSERT INTO projects (name)
SELECT s.name FROM staged_projects s WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.name = s.name)
ORDER BY s.name
ON CONFLICT DO NOTHING
"""

# A day partition's columns, and the query of its rows in project order (by COPY, which takes no parameters).
_VERSION_ROWS = (
    "project_id, day, version, downloads, non_mirror_downloads, pip_downloads, ci_downloads",
    """SELECT p.id, {day}, coalesce(s.category, ''), s.downloads, s.non_mirror_downloads, s.pip_downloads,
              s.ci_downloads
       FROM staged_rows s JOIN projects p ON p.name = s.project
       WHERE s.breakdown = 'version'
       ORDER BY p.id""",
)
_CATEGORY_ROWS = (
    "project_id, day, breakdown, category, downloads, non_mirror_downloads",
    """SELECT p.id, {day}, s.breakdown::breakdown, s.category, s.downloads, s.non_mirror_downloads
       FROM staged_rows s JOIN projects p ON p.name = s.project
       WHERE s.breakdown <> 'version'
       ORDER BY p.id""",
)

# Both days' partitions are read in their unique index's (project_id, version) order and paired by a merge join
# in one pass. Left to itself, the planner (with no statistics yet on the new partition) takes a nested loop of
# one index probe per version row: 2.5 times slower, measured. The documents are compact JSON, written as text in
# that order (json_object_agg would write '{ "1.0" : 5 }', a fifth more bytes in every v2 answer).
_REPLACE_PROJECT_DAYS = """
SET LOCAL enable_nestloop = off;
CREATE TEMP TABLE new_days ON COMMIT DROP AS
SELECT v.project_id, sum(v.downloads)::bigint AS downloads, sum(v.non_mirror_downloads)::bigint AS non_mirror_downloads,
       sum(v.pip_downloads)::bigint AS pip_downloads,
       '{{' || string_agg(k.key || v.downloads, ',') || '}}' AS versions_json,
       '{{' || coalesce(string_agg(k.key || (v.downloads - v.ci_downloads), ',')
                        FILTER (WHERE v.downloads > v.ci_downloads), '') || '}}' AS versions_without_ci_json,
       array_agg(v.version) FILTER (WHERE before.project_id IS NULL) AS new_versions
FROM {versions} v
CROSS JOIN LATERAL (SELECT to_json(v.version)::text || ':' AS key) k
LEFT JOIN version_downloads before
       ON before.day = %(day)s::date - 1 AND before.project_id = v.project_id AND before.version = v.version
GROUP BY v.project_id;
RESET enable_nestloop;

-- Every project the day has, or had before this import: zeros for one it no longer has.
CREATE TEMP TABLE day_changes ON COMMIT DROP AS
SELECT project_id, coalesce(n.downloads, 0) AS downloads, coalesce(n.non_mirror_downloads, 0) AS non_mirror_downloads,
       coalesce(n.downloads, 0) - coalesce(o.downloads, 0) AS change,
       coalesce(n.non_mirror_downloads, 0) - coalesce(o.non_mirror_downloads, 0) AS non_mirror_change
FROM new_days n
FULL JOIN (SELECT project_id, downloads, non_mirror_downloads FROM project_days WHERE day = %(day)s) o
     USING (project_id);

UPDATE projects p SET total_downloads = p.total_downloads + d.change,
                      total_non_mirror_downloads = p.total_non_mirror_downloads + d.non_mirror_change
FROM day_changes d
WHERE p.id = d.project_id AND (d.change <> 0 OR d.non_mirror_change <> 0);

DELETE FROM project_days WHERE day = %(day)s;
INSERT INTO project_days (project_id, day, downloads, non_mirror_downloads, pip_downloads, versions_json,
                          versions_without_ci_json, new_versions, categories_json)
SELECT project_id, %(day)s, downloads, non_mirror_downloads, pip_downloads, versions_json, versions_without_ci_json,
       new_versions, c.categories_json
FROM new_days LEFT JOIN ({category_documents}) c USING (project_id)
ORDER BY project_id;
"""

# The next day's new versions are relative to this day: refreshed when this day is replaced after it (a re-run,
# or a gap filled in).
_REFRESH_NEXT_NEW_VERSIONS = """
SET LOCAL enable_nestloop = off;
UPDATE project_days d SET new_versions = n.new_versions
FROM (
    SELECT v.project_id, array_agg(v.version) FILTER (WHERE before.project_id IS NULL) AS new_versions
    FROM version_downloads v
    LEFT JOIN {versions} before ON before.project_id = v.project_id AND before.version = v.version
    WHERE v.day = %(day)s::date + 1
    GROUP BY v.project_id
) n
WHERE d.day = %(day)s::date + 1 AND d.project_id = n.project_id AND d.new_versions IS DISTINCT FROM n.new_versions;
RESET enable_nestloop;
"""


# What retention clears in project_days when it drops a day's partition of each detail table.
_EXPIRED_DOCUMENTS = {
    "version_downloads_": "UPDATE project_days SET versions_json = NULL, versions_without_ci_json = NULL, "
    "new_versions = NULL WHERE day = %s",
    "category_downloads_": "UPDATE project_days SET categories_json = NULL WHERE day = %s",
}


def lock_day_for_writing(cur, day: date) -> None:
    """Take, until the transaction ends, the lock held by whatever writes the day's rows of project_days: its
    import, the purge of its documents, and the rewrite of its month."""
    cur.execute(
        "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema() || ':' || %s))",
        (LOCK_NAMESPACE, f"pepy-replace:{day}"),
    )


class PostgresDownloadsRepository(DownloadsRepository):
    """DownloadsRepository on PostgreSQL; see the README's storage design."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    def replace_day(self, day: date, source: str, rows: Iterable[DayRow], bytes_billed: int) -> int:
        self._ensure_month_partition(day)
        phase = _PhaseLog(day)
        with self._pool.connection() as conn, conn.cursor() as cur:
            # One import at a time runs on the primary: it may use memory that a query may not.
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL work_mem = '512MB'")
            lock_day_for_writing(cur, day)
            cur.execute(_STAGING)
            stream = CopyStream(map(copy_line, rows))
            try:
                cur.copy_expert("COPY staged_rows FROM STDIN", stream, size=1 << 16)
            except psycopg2.Error as error:
                if stream.error is not None:
                    raise stream.error from None
                if not isinstance(error, (psycopg2.IntegrityError, psycopg2.DataError)):
                    raise
                raise InvalidImport(
                    f"The source gave a row that breaks a rule: {error.diag.message_primary}; "
                    f"{error.diag.context or ''}".strip()
                ) from error
            phase.done("staged", cur.rowcount)
            cur.execute(_NEW_PROJECTS)
            invalid = cur.fetchone()
            if invalid:
                raise InvalidImport(f"The source gave an invalid or unnormalised project name: {invalid[0]!r}")
            cur.execute(_INSERT_PROJECTS)
            phase.done("projects", cur.rowcount)

            versions = DayPartition.build(cur, "version_downloads", day, _VERSION_ROWS, "project_id, version")
            phase.done("version_downloads", versions.rows)
            categories = DayPartition.build(
                cur, "category_downloads", day, _CATEGORY_ROWS, "project_id, breakdown, category"
            )
            phase.done("category_downloads", categories.rows)
            replace_days = sql.SQL(_REPLACE_PROJECT_DAYS).format(
                versions=sql.Identifier(versions.new),
                category_documents=day_documents.category_documents(categories.new),
            )
            cur.execute(replace_days, {"day": day})
            project_rows = cur.rowcount
            month_documents.day_written(cur, day)
            cur.execute(sql.SQL(_REFRESH_NEXT_NEW_VERSIONS).format(versions=sql.Identifier(versions.new)), {"day": day})
            phase.done("project_days", project_rows)
            cur.execute(recent_days.WRITE, recent_days.write_parameters(day))
            phase.done("project_recent_days", cur.rowcount)
            written = versions.rows + categories.rows + project_rows
            # Swapped last: the swap locks the parents, so it must be just before the commit.
            cur.execute("SET LOCAL lock_timeout = '60s'")
            versions.swap_in(cur)
            categories.swap_in(cur)
            cur.execute(
                """UPDATE imports SET status = 'succeeded', source = %s, finished_at = clock_timestamp(),
                          succeeded_at = clock_timestamp(), rows_written = %s, version_rows = %s,
                          category_rows = %s, project_rows = %s, bytes_billed = %s, error = NULL
                   WHERE day = %s""",
                (source, written, versions.rows, categories.rows, project_rows, bytes_billed, day),
            )
        phase.done("committed", written)
        self._analyze(versions.final, categories.final)
        self._vacuum(f"project_days_{day:%Y%m}")
        return written

    def _ensure_month_partition(self, day: date) -> None:
        # Created in a transaction of its own, so the import's long transaction holds no lock on the parent.
        first = day.replace(day=1)
        following = next_month(first)
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {name} PARTITION OF project_days FOR VALUES FROM ({a}) TO ({b})"
                ).format(
                    name=sql.Identifier(f"project_days_{first:%Y%m}"), a=sql.Literal(first), b=sql.Literal(following)
                )
            )

    def _analyze(self, *tables: str) -> None:
        # Fresh partitions have no statistics; without them the planner guesses badly on the first reads.
        with self._pool.connection() as conn, conn.cursor() as cur:
            for table in tables:
                cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))

    def _vacuum(self, table: str) -> None:
        # The day's new blocks marked all-visible now rather than when autovacuum next comes (days later in a
        # month's last weeks): until then a read of the project's days fetches each of their rows from the table
        # instead of taking it from the key (migration 0014). One that holds the table (a compaction) skips it.
        with self._pool.connection() as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("VACUUM (SKIP_LOCKED) {}").format(sql.Identifier(table)))

    def replace_base_totals(self, totals: Iterable[tuple[ProjectName, Downloads]]) -> int:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE staged_bases (name text PRIMARY KEY, base bigint NOT NULL) ON COMMIT DROP")
            stream = CopyStream(f"{name.value}\t{count.value}\n" for name, count in totals)
            try:
                cur.copy_expert("COPY staged_bases FROM STDIN", stream, size=1 << 16)
            except psycopg2.Error as error:
                if stream.error is not None:
                    raise stream.error from None
                if isinstance(error, psycopg2.errors.UniqueViolation):
                    raise InvalidImport(f"A project appears twice: {error.diag.message_detail}") from error
                raise
            cur.execute(
                """INSERT INTO projects (name) SELECT s.name FROM staged_bases s
                   WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.name = s.name) ON CONFLICT DO NOTHING;
                   UPDATE projects p SET total_downloads = p.total_downloads - p.base_downloads + s.base,
                                         total_non_mirror_downloads =
                                             p.total_non_mirror_downloads - p.base_downloads + s.base,
                                         base_downloads = s.base
                   FROM staged_bases s WHERE p.name = s.name"""
            )
            return cur.rowcount

    def purge_before(self, day: date) -> None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   WHERE i.inhparent IN ('version_downloads'::regclass, 'category_downloads'::regclass)
                     AND right(c.relname, 8) < %s""",
                (f"{day:%Y%m%d}",),
            )
            expired = [name for (name,) in cur.fetchall()]
        for name in expired:
            with self._pool.connection() as conn, conn.cursor() as cur:
                # The day's documents are its detail too: each goes with the partition it is built from.
                table, expired_day = name[:-8], datetime.strptime(name[-8:], "%Y%m%d").date()
                lock_day_for_writing(cur, expired_day)
                cur.execute(_EXPIRED_DOCUMENTS[table], (expired_day,))
                month_documents.day_written(cur, expired_day)
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        if expired:
            log.info("retention dropped partitions", extra={"partitions": len(expired), "before": day.isoformat()})

    def compact_months(self, ended_before: date, limit: int) -> list[CompactedMonth]:
        months = compaction.months_to_compact(self._pool, ended_before, limit)
        done = [compaction.compact_month(self._pool, month, lock_day_for_writing) for month in months]
        self._analyze(*(f"project_days_{month:%Y%m}" for month in months))
        return done

    def document_months(self, ended_before: date, oldest: date) -> list[DocumentedMonth]:
        return month_documents.document_months(self._pool, ended_before, oldest, lock_day_for_writing)

    def refresh_rankings(self, rankings: Sequence[Ranking]) -> RankingsBuilt | None:
        # One refresh at a time, its snapshot taken once it holds the lock: a refresh that waited for another
        # sees what that one saw, or more, so the last to commit is never the older build.
        with self.exclusive_lock(RANKINGS_LOCK, wait=True), self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SET LOCAL work_mem = '512MB'")
            return ranking_sql.build(cur, rankings)

    def rankings_current(self, rankings: Sequence[Ranking]) -> bool:
        with self._pool.connection() as conn, conn.cursor() as cur:
            return ranking_sql.current(cur, rankings)

    @contextlib.contextmanager
    def exclusive_lock(self, name: str, wait: bool) -> Iterator[bool]:
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
                    cur.execute(
                        f"SELECT {function}(%s, hashtext(current_schema() || ':' || %s))", (LOCK_NAMESPACE, name)
                    )
                    acquired = cur.fetchone()[0] is not False
                try:
                    yield acquired
                finally:
                    if acquired and not conn.closed:
                        with conn.cursor() as cur:
                            cur.execute(
                                "SELECT pg_advisory_unlock(%s, hashtext(current_schema() || ':' || %s))",
                                (LOCK_NAMESPACE, name),
                            )
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def day_lock(self, day: date):
        return self.exclusive_lock(f"{DAY_LOCK_PREFIX}{day.isoformat()}", wait=True)


class _PhaseLog:
    """Logs each phase of a day's import with its rows and seconds: the import's progress for operators."""

    def __init__(self, day: date):
        self._day = day.isoformat()
        self._last = time.monotonic()

    def done(self, phase: str, rows: int) -> None:
        now = time.monotonic()
        log.info(
            "import progress",
            extra={"day": self._day, "phase": phase, "rows": rows, "seconds": round(now - self._last, 3)},
        )
        self._last = now
