"""The read side's SQL: plain queries returning read models, through the read (replica) pool.

Every read of a fact table filters `project_id = …` and a constant day range, so the planner prunes the
day partitions and probes each remaining one's `project_id`-led index; the one exception is the ranking of
all projects (`top_projects`), which reads the few monthly partitions of `project_days` whole and is cached.
The rankings the import builds (`ranking`) are one index range of their own table.
"""

from __future__ import annotations

import threading
from datetime import date

import orjson
from psycopg2 import sql

from pepy.application.queries.common import MAX_LIMIT
from pepy.domain.downloads import FIRST_DAY, Breakdown
from pepy.domain.ports import ImportLedger, ProjectReadStore
from pepy.domain.read_models import (
    BuiltRanking,
    CategoryDay,
    CategoryDownloads,
    DayTotal,
    Granularity,
    MirrorSplit,
    OverallPoints,
    ProjectDays,
    ProjectDownloads,
    ProjectSpan,
    ProjectSums,
    ProjectVersionDownloads,
    RankedProject,
    SeriesRequest,
    VersionDay,
    VersionDocuments,
    VersionTotal,
    WindowSums,
)
from pepy.infrastructure.postgres import day_documents, recent_days
from pepy.infrastructure.postgres.pool import ConnectionPool, rerun_if_session_ended
from pepy.infrastructure.postgres.prepared import PreparedStatements, in_range

# A built ranking (migration 0007) and its first projects, in one statement so that both come from one build: the
# projects as arrays, one row in all rather than the ranking's columns parsed again for each of 15,000 rows.
_RANKING = """
SELECT r.last_import_at, r.window_start, r.window_end, r.previous_start, r.previous_end, r.missing_days,
       coalesce(array_agg(p.project ORDER BY p.position) FILTER (WHERE p.position IS NOT NULL), '{}'),
       coalesce(array_agg(p.downloads ORDER BY p.position) FILTER (WHERE p.position IS NOT NULL), '{}'),
       array_agg(p.previous_downloads ORDER BY p.position) FILTER (WHERE p.growth IS NOT NULL),
       array_agg(p.growth::float8 ORDER BY p.position) FILTER (WHERE p.growth IS NOT NULL)
FROM rankings r LEFT JOIN ranked_projects p ON p.ranking = r.ranking AND p.position <= %(limit)s
WHERE r.ranking = %(name)s
GROUP BY r.ranking
"""

# The days the ring of recent days does not hold: prepared with the window's days as constants, as the windows
# asked for are the same all day, and planning over the monthly partitions cost more than reading them.
_DAY_TOTALS = """
SELECT p.total_downloads, d.day, d.downloads, d.non_mirror_downloads FROM projects p
LEFT JOIN project_days d ON d.project_id = p.id AND d.day BETWEEN $start AND $end AND d.downloads > 0
WHERE p.name = $1 ORDER BY d.day
"""

# pypistats' overall points, written by PostgreSQL as the answer's JSON: for 180 days, a dict per point built and
# encoded in Python cost the app more than the whole read cost the server. Each day's points, by `mirrors`:
_POINT = """'{{"category":"{}","date":"' || d.day::text || '","downloads":' || d.{} || '}}'"""
_WITH, _WITHOUT = _POINT.format("with_mirrors", "downloads"), _POINT.format("without_mirrors", "non_mirror_downloads")
OVERALL_POINTS = {
    mirrors: f"""SELECT (SELECT coalesce(string_agg({points}, ',' ORDER BY d.day), '') FROM project_days d
                         WHERE d.project_id = p.id AND d.day BETWEEN $start AND $end AND d.downloads > 0)
                 FROM projects p WHERE p.name = $1"""
    for mirrors, points in ((None, f"{_WITH} || ',' || {_WITHOUT}"), (True, _WITH), (False, _WITHOUT))
}

# The day documents of pypistats' three breakdowns, prepared per connection and window as overall's points are:
# planned anew each time, the statement cost PostgreSQL 0.55 ms where its prepared plan costs 0.19 (pgbench).
_CATEGORY_DOCUMENTS = """
SELECT d.day, d.categories_json FROM projects p
LEFT JOIN project_days d ON d.project_id = p.id AND d.day BETWEEN $start AND $end AND d.categories_json IS NOT NULL
WHERE p.name = $1 ORDER BY d.day
"""

_BUCKETS = {
    Granularity.DAY: sql.SQL("day"),
    Granularity.WEEK: sql.SQL("date_trunc('week', day::timestamp)::date"),
    Granularity.MONTH: sql.SQL("date_trunc('month', day::timestamp)::date"),
}


class PostgresProjectReadStore(ProjectReadStore):
    """ProjectReadStore on PostgreSQL. Every read is one project's rows over a date range.

    The ranking of all projects is kept until the ledger shows a newer import.
    """

    def __init__(self, pool: ConnectionPool, ledger: ImportLedger):
        self._pool = pool
        self._ledger = ledger
        self._top: dict[tuple, list[ProjectDownloads]] = {}
        self._top_lock = threading.Lock()
        self._prepared = PreparedStatements()

    @rerun_if_session_ended
    def version_downloads(self, name: str, start: date, end: date) -> ProjectVersionDownloads | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            statement = in_range(day_documents.VERSION_DOWNLOADS, start, end)
            self._prepared.execute(cur, statement, ("text",), (name,))
            row = cur.fetchone()
        if row is None:
            return None
        total, downloads_json, versions = row
        return ProjectVersionDownloads(name, total, versions, downloads_json)

    @rerun_if_session_ended
    def version_documents(self, name: str, start: date, end: date, include_ci: bool) -> VersionDocuments | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(day_documents.PRO_DOCUMENTS[include_ci], {"name": name, "start": start, "end": end})
            row = cur.fetchone()
        return None if row is None else VersionDocuments(name, *row)

    @rerun_if_session_ended
    def day_totals(self, name: str, start: date, end: date) -> ProjectDays | None:
        if (end - start).days < recent_days.RECENT_DAYS:
            recent = self._recent_days(name)
            if recent is None:
                return None
            days = recent.day_totals(start, end)
            if days is not None:
                return ProjectDays(name, recent.total_downloads, days)
        with self._pool.connection() as conn, conn.cursor() as cur:
            self._prepared.execute(cur, in_range(_DAY_TOTALS, start, end), ("text",), (name,))
            rows = cur.fetchall()
        if not rows:
            return None
        days = [DayTotal(day, downloads, non_mirror) for _, day, downloads, non_mirror in rows if day is not None]
        return ProjectDays(name, rows[0][0], days)

    @rerun_if_session_ended
    def overall_points(self, name: str, start: date, end: date, mirrors: bool | None) -> OverallPoints | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            self._prepared.execute(cur, in_range(OVERALL_POINTS[mirrors], start, end), ("text",), (name,))
            row = cur.fetchone()
        return None if row is None else OverallPoints(name, row[0])

    @rerun_if_session_ended
    def sums(self, name: str, windows: list[tuple[date, date]]) -> ProjectSums | None:
        if all((end - start).days < recent_days.RECENT_DAYS for start, end in windows):
            recent = self._recent_days(name)
            if recent is None:
                return None
            found = [recent.sums(start, end) for start, end in windows]
            if None not in found:
                return ProjectSums(name, recent.total_downloads, recent.total_non_mirror_downloads, found)
        sums = []
        for start, end in windows:
            within = sql.SQL("FILTER (WHERE d.day BETWEEN {} AND {})").format(sql.Literal(start), sql.Literal(end))
            sums += [
                sql.SQL("coalesce(sum(d.downloads) {}, 0)::bigint").format(within),
                sql.SQL("coalesce(sum(d.non_mirror_downloads) {}, 0)::bigint").format(within),
            ]
        query = sql.SQL(
            """SELECT p.total_downloads, p.total_non_mirror_downloads, {sums} FROM projects p
               LEFT JOIN project_days d ON d.project_id = p.id AND d.day BETWEEN {start} AND {end}
               WHERE p.name = {name} GROUP BY p.id"""
        ).format(
            sums=sql.SQL(", ").join(sums),
            start=sql.Literal(min(s for s, _ in windows)),
            end=sql.Literal(max(e for _, e in windows)),
            name=sql.Literal(name),
        )
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(query)
            row = cur.fetchone()
        if row is None:
            return None
        figures = row[2:]
        return ProjectSums(
            name, row[0], row[1], [WindowSums(figures[i], figures[i + 1]) for i in range(0, len(figures), 2)]
        )

    def _recent_days(self, name: str) -> recent_days.RecentDays | None:
        # Each caller is rerun as a whole when a standby ends its session.
        with self._pool.connection() as conn, conn.cursor() as cur:
            self._prepared.execute(cur, recent_days.READ, ("text",), (name,))
            row = cur.fetchone()
        return None if row is None else recent_days.RecentDays(*row)

    @rerun_if_session_ended
    def category_days(
        self, name: str, breakdown: Breakdown, start: date, end: date, category: str | None, any_category: bool
    ) -> CategoryDownloads | None:
        if breakdown in day_documents.DOCUMENTED_BREAKDOWNS:
            return self._documented_category_days(name, breakdown, start, end, category, any_category)
        if any_category:
            matching = sql.SQL("")
        elif category is None:
            matching = sql.SQL("AND category IS NULL")
        else:
            matching = sql.SQL("AND lower(category) = lower({})").format(sql.Literal(category))
        with self._pool.connection() as conn, conn.cursor() as cur:
            project_id = _project_id(cur, name)
            if project_id is None:
                return None
            cur.execute(
                sql.SQL(
                    """SELECT day, category, non_mirror_downloads FROM category_downloads
                       WHERE project_id = %s AND day BETWEEN %s AND %s AND breakdown = %s {matching}
                         AND non_mirror_downloads > 0
                       ORDER BY day, category NULLS LAST"""
                ).format(matching=matching),
                (project_id, start, end, breakdown.value),
            )
            rows = [CategoryDay(*row) for row in cur]
        return CategoryDownloads(name, rows)

    def _documented_category_days(
        self, name: str, breakdown: Breakdown, start: date, end: date, category: str | None, any_category: bool
    ) -> CategoryDownloads | None:
        # Each caller is rerun as a whole when a standby ends its session.
        with self._pool.connection() as conn, conn.cursor() as cur:
            self._prepared.execute(cur, in_range(_CATEGORY_DOCUMENTS, start, end), ("text",), (name,))
            rows = cur.fetchall()
        if not rows:
            return None
        wanted = None if category is None else category.lower()
        found = []
        key = breakdown.value
        for day, document in rows:
            if day is None:
                continue
            for stored, downloads in orjson.loads(document).get(key, ()):
                if any_category or (stored.lower() == wanted if stored is not None else wanted is None):
                    found.append(CategoryDay(day, stored, downloads))
        return CategoryDownloads(name, found)

    @rerun_if_session_ended
    def versions(self, name: str, start: date, end: date) -> list[str] | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(in_range(day_documents.VERSIONS, start, end), (name,))
            row = cur.fetchone()
        return None if row is None else row[0]

    @rerun_if_session_ended
    def series(self, request: SeriesRequest) -> list[tuple[date, str | None, int]] | None:
        breakdown, versions = request.breakdown, request.versions
        count = sql.Identifier("downloads" if request.mirrors else "non_mirror_downloads")
        bucket = _BUCKETS[request.granularity]
        if breakdown is MirrorSplit.MIRRORS:
            source = sql.SQL(
                """project_days CROSS JOIN LATERAL (VALUES ('mirror', downloads - non_mirror_downloads),
                                                           ('non_mirror', non_mirror_downloads)) AS m(category, n)"""
            )
            category, count, extra = sql.SQL("category"), sql.SQL("n"), sql.SQL("")
        elif (breakdown is Breakdown.VERSION or versions is not None) and request.mirrors:
            # The day documents v2 serves hold the same counts in the few monthly partitions of project_days:
            # planning over a day partition of version_downloads per day cost more than the whole answer.
            source = sql.SQL("project_days CROSS JOIN LATERAL json_each_text(versions_json::json) AS v(version, n)")
            category = sql.SQL("version" if breakdown else "NULL::text")
            count = sql.SQL("n::bigint")
            extra = sql.SQL("AND versions_json IS NOT NULL") + _versions_filter(versions)
        elif breakdown is Breakdown.VERSION or versions is not None:
            source = sql.SQL("version_downloads")
            category = sql.SQL("version" if breakdown else "NULL::text")
            extra = _versions_filter(versions)
        elif breakdown is not None:
            source, category = sql.SQL("category_downloads"), sql.SQL("category")
            extra = sql.SQL("AND breakdown = {}").format(sql.Literal(breakdown.value))
        else:
            source, category, extra = sql.SQL("project_days"), sql.SQL("NULL::text"), sql.SQL("")
        query = sql.SQL(
            """SELECT {bucket} AS bucket, {category} AS category, sum({count})::bigint AS n FROM {source}
               WHERE project_id = %s AND day BETWEEN %s AND %s {extra}
               GROUP BY 1, 2 HAVING sum({count}) > 0 ORDER BY 1, 2 NULLS LAST LIMIT %s"""
        ).format(bucket=bucket, category=category, count=count, source=source, extra=extra)
        with self._pool.connection() as conn, conn.cursor() as cur:
            project_id = _project_id(cur, request.name)
            if project_id is None:
                return None
            cur.execute(query, (project_id, request.start, request.end, request.max_rows + 1))
            return cur.fetchall()

    @rerun_if_session_ended
    def span(self, name: str) -> ProjectSpan | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                """SELECT p.total_downloads,
                          (SELECT day FROM project_days WHERE project_id = p.id AND day >= %(first)s
                           ORDER BY day LIMIT 1),
                          (SELECT day FROM project_days WHERE project_id = p.id AND day >= %(first)s
                           ORDER BY day DESC LIMIT 1)
                   FROM projects p WHERE p.name = %(name)s""",
                {"name": name, "first": FIRST_DAY},
            )
            row = cur.fetchone()
        return None if row is None else ProjectSpan(name, *row)

    @rerun_if_session_ended
    def version_days(self, name: str, start: date, end: date, mirrors: bool) -> list[VersionDay] | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            # With mirrors, the day documents v2 serves: one index range over a few monthly partitions, parsed here.
            cur.execute(
                day_documents.VERSION_DAYS if mirrors else day_documents.NON_MIRROR_VERSION_DAYS,
                {"name": name, "start": start, "end": end},
            )
            rows = cur.fetchall()
        if not rows:
            return None
        if mirrors:
            return [VersionDay(d, n, orjson.loads(document or "{}")) for d, n, document in rows if d is not None and n]
        days: dict[date, VersionDay] = {}
        for day, downloads, version, count in rows:
            if day is not None and downloads:
                found = days.setdefault(day, VersionDay(day, downloads, {}))
                if version is not None and count > 0:
                    found.versions[version] = count
        return list(days.values())

    @rerun_if_session_ended
    def top_versions(self, name: str, start: date, end: date, limit: int) -> list[VersionTotal] | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            project_id = _project_id(cur, name)
            if project_id is None:
                return None
            # From the day documents v2 serves, in a few monthly partitions: planning over a day partition of
            # version_downloads per day cost more than the sum.
            cur.execute(
                """SELECT v.version, sum(v.n::bigint)::bigint
                   FROM project_days CROSS JOIN LATERAL json_each_text(versions_json::json) AS v(version, n)
                   WHERE project_id = %s AND day BETWEEN %s AND %s AND versions_json IS NOT NULL
                   GROUP BY v.version ORDER BY 2 DESC, 1 LIMIT %s""",
                (project_id, start, end, limit),
            )
            return [VersionTotal(*row) for row in cur]

    def top_projects(self, start: date, end: date, limit: int) -> list[ProjectDownloads]:
        key = (start, end, self._ledger.freshness().last_import_at)
        ranking = self._top.get(key)
        if ranking is None:
            # One ranking per window at a time: concurrent requests wait for it rather than each computing it.
            with self._top_lock:
                ranking = self._top.get(key)
                if ranking is None:
                    ranking = self._rank(start, end)
                    self._top = {k: v for k, v in self._top.items() if k[2] == key[2]} | {key: ranking}
        return ranking[:limit]

    @rerun_if_session_ended
    def _rank(self, start: date, end: date) -> list[ProjectDownloads]:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                """SELECT p.name, t.downloads FROM (
                       SELECT project_id, sum(downloads)::bigint AS downloads FROM project_days
                       WHERE day BETWEEN %s AND %s GROUP BY project_id ORDER BY 2 DESC LIMIT %s
                   ) t JOIN projects p ON p.id = t.project_id
                   ORDER BY t.downloads DESC, p.name""",
                (start, end, MAX_LIMIT),
            )
            return [ProjectDownloads(*row) for row in cur]

    @rerun_if_session_ended
    def ranking(self, name: str, limit: int) -> BuiltRanking | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(_RANKING, {"name": name, "limit": limit})
            row = cur.fetchone()
        if row is None:
            return None
        *built, names, downloads, previous, growth = row
        if growth is None:
            projects = [RankedProject(*project) for project in zip(names, downloads, strict=True)]
        else:
            projects = [RankedProject(*project) for project in zip(names, downloads, previous, growth, strict=True)]
        return BuiltRanking(*built, projects)

    @rerun_if_session_ended
    def search(self, prefix: str, limit: int) -> list[ProjectDownloads]:
        # A constant pattern lets the planner turn the LIKE into a range scan of projects_name.
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT name, total_downloads FROM projects WHERE name LIKE %s ORDER BY total_downloads DESC, name "
                "LIMIT %s",
                (pattern, limit),
            )
            return [ProjectDownloads(*row) for row in cur]

    def is_available(self) -> bool:
        return self._pool.is_available()


def _versions_filter(versions: tuple[str, ...] | None) -> sql.Composable:
    return sql.SQL("") if versions is None else sql.SQL(" AND version = ANY({})").format(sql.Literal(list(versions)))


def _project_id(cur, name: str) -> int | None:
    cur.execute("SELECT id FROM projects WHERE name = %s", (name,))
    row = cur.fetchone()
    return None if row is None else row[0]
