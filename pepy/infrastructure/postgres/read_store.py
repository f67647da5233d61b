"""The read side's SQL: plain queries returning read models, through the read (replica) pool."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pepy.application.queries import ProjectReadStore, ProjectVersionDownloads
from pepy.infrastructure.postgres.pool import ConnectionPool, DatabaseUnavailable


class PostgresProjectReadStore(ProjectReadStore):
    """ProjectReadStore on PostgreSQL. Every read is one project's rows over a date range."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    def version_downloads(self, name: str, start: date | None, end: date | None) -> ProjectVersionDownloads | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT id, total_downloads FROM projects WHERE name = %s", (name,))
            project = cur.fetchone()
            if project is None:
                return None
            cur.execute(
                """SELECT day, version, downloads FROM version_downloads
                   WHERE project_id = %s AND day >= coalesce(%s, '-infinity'::date)
                     AND day <= coalesce(%s, 'infinity'::date)
                   ORDER BY day""",
                (project[0], start, end),
            )
            downloads: dict[date, dict[str, int]] = defaultdict(dict)
            versions = set()
            for day, version, count in cur:
                downloads[day][version] = count
                versions.add(version)
        return ProjectVersionDownloads(name, project[1], list(versions), dict(downloads))

    def is_available(self) -> bool:
        try:
            with self._pool.connection() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                return cur.fetchone() == (1,)
        except DatabaseUnavailable:
            return False
