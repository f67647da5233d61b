"""Test doubles for ports: a source that serves given rows, optionally failing part-way; a read store (with the
rankings it is given as built), an import ledger and a replication status in memory."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from pepy.domain.downloads import FIRST_DAY, Breakdown, DayExport, DayRow
from pepy.domain.ports import DownloadsSource, ImportLedger, ProjectReadStore, Replication
from pepy.domain.read_models import (
    BuiltRanking,
    CategoryDay,
    CategoryDownloads,
    DayTotal,
    Freshness,
    Granularity,
    LedgerEntry,
    LedgerSummary,
    MirrorSplit,
    OverallPoints,
    ProjectDays,
    ProjectDownloads,
    ProjectSpan,
    ProjectSums,
    ProjectVersionDownloads,
    ReplicaLag,
    SeriesRequest,
    VersionDay,
    VersionDocuments,
    VersionTotal,
    WindowSums,
)


class SourceFailed(RuntimeError):
    """The fake source's injected failure."""


class RowsSource(DownloadsSource):
    """Serves fixed DayRows per day; with fail_after=N, raises after yielding N rows."""

    name = "files"

    def __init__(self, rows_by_day: dict[date, Iterable[DayRow]], fail_after: int | None = None, bytes_billed: int = 0):
        self._rows_by_day = rows_by_day
        self._fail_after = fail_after
        self._bytes_billed = bytes_billed

    def read_day(self, day: date) -> DayExport:
        return DayExport(self._stream(list(self._rows_by_day.get(day, []))), self._bytes_billed)

    def _stream(self, rows: list[DayRow]) -> Iterator[DayRow]:
        for n, row in enumerate(rows):
            if self._fail_after is not None and n >= self._fail_after:
                raise SourceFailed(f"failed after {n} rows")
            yield row
        if self._fail_after is not None and self._fail_after >= len(rows):
            raise SourceFailed("failed at the end")


def day_rows(project: str, versions: dict[str, tuple[int, ...]], **breakdowns: dict) -> list[DayRow]:
    """DayRows for one project: versions map to (downloads, non_mirror, pip), or (..., ci); each breakdown maps
    category to (downloads, non_mirror). Without a breakdown given, a 'system' breakdown of one
    'Linux' category is added so the project's breakdowns sum to its total."""
    rows = [DayRow(project, Breakdown.VERSION, v, *counts, *(0,) * (4 - len(counts))) for v, counts in versions.items()]
    if not breakdowns:
        total = sum(counts[0] for counts in versions.values())
        non_mirror = sum(counts[1] for counts in versions.values())
        breakdowns = {"system": {"Linux": (total, non_mirror)}}
    for breakdown, categories in breakdowns.items():
        rows += [DayRow(project, Breakdown(breakdown), c, d, n, 0, 0) for c, (d, n) in categories.items()]
    return rows


# The read side ------------------------------------------------------------------------------------------------

Counts = tuple[int, int]


@dataclass
class StoredProject:
    """One project as the read store holds it.

    `base` is the all-time base (downloads before the first imported day); `versions` maps each day to its
    versions' counts (downloads, non-mirror downloads), and `categories` each breakdown, day and category
    (None: the null category) to theirs. A day's totals are the sums of its versions, as the import stores
    them, and the all-time total is the base plus every day.
    """

    name: str
    base: int = 0
    versions: dict[date, dict[str, Counts]] = field(default_factory=dict)
    # Each day's versions' downloads from CI; a day missing here was imported before the CI split.
    ci: dict[date, dict[str, int]] = field(default_factory=dict)
    categories: dict[Breakdown, dict[date, dict[str | None, Counts]]] = field(default_factory=dict)

    def day_totals(self) -> dict[date, Counts]:
        """Each day's (downloads, non-mirror downloads), oldest first."""
        return {
            day: (sum(d for d, _ in counts.values()), sum(n for _, n in counts.values()))
            for day, counts in sorted(self.versions.items())
        }

    @property
    def total(self) -> int:
        """The all-time total: the base plus every day."""
        return self.base + sum(d for d, _ in self.day_totals().values())


def _nulls_last(category: str | None) -> tuple[bool, str]:
    return category is None, category or ""


def _bucket_start(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.WEEK:
        year, week, _ = day.isocalendar()
        return date.fromisocalendar(year, week, 1)
    if granularity is Granularity.MONTH:
        return date(day.year, day.month, 1)
    return day


class FakeReadStore(ProjectReadStore):
    """ProjectReadStore over StoredProjects in memory, answering as PostgresProjectReadStore does: the same
    orders, the null category last, zero rows left out where its SQL leaves them out."""

    def __init__(
        self, *projects: StoredProject, available: bool = True, rankings: dict[str, BuiltRanking] | None = None
    ):
        self._projects = {project.name: project for project in projects}
        self._available = available
        self._rankings = rankings or {}

    def version_downloads(self, name: str, start: date, end: date) -> ProjectVersionDownloads | None:
        project = self._projects.get(name)
        if project is None:
            return None
        days = {
            day.isoformat(): {version: d for version, (d, _) in counts.items()}
            for day, counts in sorted(project.versions.items())
            if start <= day <= end
        }
        versions = sorted({version for counts in days.values() for version in counts})
        return ProjectVersionDownloads(name, project.total, versions, json.dumps(days))

    def version_documents(self, name: str, start: date, end: date, include_ci: bool) -> VersionDocuments | None:
        project = self._projects.get(name)
        if project is None:
            return None
        days, missing = {}, []
        for day, counts in sorted(project.versions.items()):
            if not start <= day <= end:
                continue
            if include_ci:
                days[day.isoformat()] = {version: d for version, (d, _) in counts.items()}
            elif day in project.ci:
                ci = project.ci[day]
                days[day.isoformat()] = {v: d - ci.get(v, 0) for v, (d, _) in counts.items() if d > ci.get(v, 0)}
            else:
                missing.append(day)
        return VersionDocuments(name, json.dumps(days, separators=(",", ":")), missing)

    def day_totals(self, name: str, start: date, end: date) -> ProjectDays | None:
        project = self._projects.get(name)
        if project is None:
            return None
        days = [DayTotal(day, d, n) for day, (d, n) in project.day_totals().items() if start <= day <= end]
        return ProjectDays(name, project.total, days)

    def overall_points(self, name: str, start: date, end: date, mirrors: bool | None) -> OverallPoints | None:
        found = self.day_totals(name, start, end)
        if found is None:
            return None
        points = []
        # As the store: only the days with downloads.
        for day, downloads, non_mirror in (d for d in found.days if d.downloads):
            if mirrors is not False:
                points.append({"category": "with_mirrors", "date": day.isoformat(), "downloads": downloads})
            if mirrors is not True:
                points.append({"category": "without_mirrors", "date": day.isoformat(), "downloads": non_mirror})
        return OverallPoints(name, json.dumps(points, separators=(",", ":"))[1:-1])

    def sums(self, name: str, windows: list[tuple[date, date]]) -> ProjectSums | None:
        project = self._projects.get(name)
        if project is None:
            return None
        totals = project.day_totals()
        sums = [
            WindowSums(
                sum(d for day, (d, _) in totals.items() if start <= day <= end),
                sum(n for day, (_, n) in totals.items() if start <= day <= end),
            )
            for start, end in windows
        ]
        non_mirror = project.base + sum(n for _, n in totals.values())
        return ProjectSums(name, project.total, non_mirror, sums)

    def category_days(
        self, name: str, breakdown: Breakdown, start: date, end: date, category: str | None, any_category: bool
    ) -> CategoryDownloads | None:
        project = self._projects.get(name)
        if project is None:
            return None

        def kept(stored: str | None) -> bool:
            if any_category:
                return True
            if stored is None or category is None:
                return stored is category
            return stored.lower() == category.lower()

        rows = [
            CategoryDay(day, stored, n)
            for day, categories in sorted(project.categories.get(breakdown, {}).items())
            if start <= day <= end
            for stored, (_, n) in sorted(categories.items(), key=lambda item: _nulls_last(item[0]))
            if n > 0 and kept(stored)
        ]
        return CategoryDownloads(name, rows)

    def versions(self, name: str, start: date, end: date) -> list[str] | None:
        project = self._projects.get(name)
        if project is None:
            return None
        return sorted(
            {version for day, counts in project.versions.items() if start <= day <= end for version in counts}
        )

    def series(self, request: SeriesRequest) -> list[tuple[date, str | None, int]] | None:
        project = self._projects.get(request.name)
        if project is None:
            return None
        counted = 0 if request.mirrors else 1
        breakdown, versions = request.breakdown, request.versions
        if breakdown is MirrorSplit.MIRRORS:
            cells = [
                (day, category, n)
                for day, (d, non_mirror) in project.day_totals().items()
                for category, n in (("mirror", d - non_mirror), ("non_mirror", non_mirror))
            ]
        elif breakdown is Breakdown.VERSION or versions is not None:
            cells = [
                (day, version if breakdown else None, version_counts[counted])
                for day, counts in project.versions.items()
                for version, version_counts in counts.items()
                if versions is None or version in versions
            ]
        elif breakdown is not None:
            cells = [
                (day, category, category_counts[counted])
                for day, categories in project.categories.get(breakdown, {}).items()
                for category, category_counts in categories.items()
            ]
        else:
            cells = [(day, None, counts[counted]) for day, counts in project.day_totals().items()]
        sums: dict[tuple[date, str | None], int] = defaultdict(int)
        for day, category, n in cells:
            if request.start <= day <= request.end:
                sums[_bucket_start(day, request.granularity), category] += n
        rows = sorted(
            ((bucket, category, n) for (bucket, category), n in sums.items() if n > 0),
            key=lambda row: (row[0], _nulls_last(row[1])),
        )
        return rows[: request.max_rows + 1]

    def span(self, name: str) -> ProjectSpan | None:
        project = self._projects.get(name)
        if project is None:
            return None
        days = [day for day in project.day_totals() if day >= FIRST_DAY]
        return ProjectSpan(name, project.total, min(days, default=None), max(days, default=None))

    def version_days(self, name: str, start: date, end: date, mirrors: bool) -> list[VersionDay] | None:
        project = self._projects.get(name)
        if project is None:
            return None
        counted = 0 if mirrors else 1
        days = [
            VersionDay(
                day, sum(c[counted] for c in counts.values()), {v: c[counted] for v, c in counts.items() if c[counted]}
            )
            for day, counts in sorted(project.versions.items())
            if start <= day <= end
        ]
        return [day for day in days if day.downloads > 0]

    def top_versions(self, name: str, start: date, end: date, limit: int) -> list[VersionTotal] | None:
        project = self._projects.get(name)
        if project is None:
            return None
        sums: dict[str, int] = defaultdict(int)
        for day, counts in project.versions.items():
            if start <= day <= end:
                for version, (d, _) in counts.items():
                    sums[version] += d
        ranked = sorted(sums.items(), key=lambda item: (-item[1], item[0]))
        return [VersionTotal(version, d) for version, d in ranked[:limit]]

    def top_projects(self, start: date, end: date, limit: int) -> list[ProjectDownloads]:
        ranked = []
        for project in self._projects.values():
            within = [d for day, (d, _) in project.day_totals().items() if start <= day <= end]
            if within:
                ranked.append(ProjectDownloads(project.name, sum(within)))
        ranked.sort(key=lambda found: (-found.downloads, found.name))
        return ranked[:limit]

    def ranking(self, name: str, limit: int) -> BuiltRanking | None:
        built = self._rankings.get(name)
        return None if built is None else replace(built, projects=built.projects[:limit])

    def search(self, prefix: str, limit: int) -> list[ProjectDownloads]:
        found = sorted(
            (p for p in self._projects.values() if p.name.startswith(prefix)), key=lambda p: (-p.total, p.name)
        )
        return [ProjectDownloads(p.name, p.total) for p in found[:limit]]

    def is_available(self) -> bool:
        return self._available


class FakeLedger(ImportLedger):
    """ImportLedger in memory: the last imported day and last import time it is given, and the entries."""

    def __init__(
        self,
        last_day: date | None = None,
        last_import_at: datetime | None = None,
        entries: Iterable[LedgerEntry] = (),
        available: bool = True,
    ):
        self._freshness = Freshness(last_import_at, last_day)
        self._entries = {entry.day: entry for entry in entries}
        self._available = available

    # Queries only read the ledger; imports are tested against PostgreSQL.
    def record_start(self, day: date, source: str) -> None:
        raise NotImplementedError

    def record_failure(self, day: date, error: str) -> None:
        raise NotImplementedError

    def entries(self, start: date, end: date) -> dict[date, LedgerEntry]:
        return {day: entry for day, entry in sorted(self._entries.items()) if start <= day <= end}

    def freshness(self) -> Freshness:
        return self._freshness

    def summary(self) -> LedgerSummary:
        statuses = [entry.status for entry in self._entries.values()]
        return LedgerSummary(
            last_success_at=self._freshness.last_import_at,
            last_imported_day=self._freshness.last_day,
            days_by_status={status: statuses.count(status) for status in ("running", "succeeded", "failed")},
        )

    def is_available(self) -> bool:
        return self._available


class FakeReplication(Replication):
    """Replication in memory: the lag it is given (a primary's, unless told)."""

    def __init__(self, lag: ReplicaLag | None = None):
        self._lag = lag or ReplicaLag(is_replica=False)

    def lag(self) -> ReplicaLag:
        return self._lag
