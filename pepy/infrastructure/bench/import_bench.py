"""`make bench-import`: one production-scale day through the real loader, and the files source on raw rows.

The day is generated lazily (memory does not grow with its size): 400,000 projects with Zipf popularity,
3,000,000 (project, version) rows, and breakdown rows whose number of categories grows with a project's
downloads (a project with a handful of downloads has one or two countries; a top project has every one).
It goes through PostgresDownloadsRepository.replace_day, the loader the real import uses.
"""

from __future__ import annotations

import argparse
import functools
import logging
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pepy.domain.downloads import Breakdown, DayRow
from pepy.infrastructure.bench import stop_on_sigterm
from pepy.infrastructure.bench.database import bench_database
from pepy.infrastructure.files.source import FilesSource
from pepy.infrastructure.postgres import migrate
from pepy.infrastructure.postgres.embedded import EmbeddedPostgres
from pepy.infrastructure.postgres.embedded_replication import PRODUCTION_WAL_SETTINGS
from pepy.infrastructure.postgres.ledger import PostgresImportLedger
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.repository import PostgresDownloadsRepository

DAY = date(2026, 11, 20)
NEXT_DAY = DAY + timedelta(days=1)
TOP_DOWNLOADS = 30_000_000
ZIPF_EXPONENT = 1.2
# How many categories each breakdown can have, and how fast a project reaches that many.
CATEGORY_CAPS = {
    Breakdown.PYTHON_MAJOR: (3, 0.10),
    Breakdown.PYTHON_MINOR: (14, 0.30),
    Breakdown.SYSTEM: (5, 0.20),
    Breakdown.INSTALLER: (20, 0.30),
    Breakdown.COUNTRY: (200, 0.50),
    Breakdown.CI: (3, 0.15),
    Breakdown.FILE_TYPE: (4, 0.10),
}
COUNTRIES = [f"{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(200)]
PYTHONS = [f"3.{minor}" for minor in range(6, 14)] + ["2.7", "3.5", "3.4", "3.14", "3.15", "2.6"]
SYSTEMS = ["Linux", "Windows", "Darwin", "other"]
INSTALLERS = ["pip", "uv", "poetry", "pdm", "bandersnatch", "devpi", "Artifactory", "Browser", "requests", "pex"]
INSTALLERS += [f"installer-{n}" for n in range(10)]
FILE_TYPES = ["bdist_wheel", "sdist", "bdist_egg", "bdist_wininst"]
CATEGORY_VALUES = {
    Breakdown.PYTHON_MAJOR: ["3", "2"],
    Breakdown.PYTHON_MINOR: PYTHONS,
    Breakdown.SYSTEM: SYSTEMS,
    Breakdown.INSTALLER: INSTALLERS,
    Breakdown.COUNTRY: COUNTRIES,
    Breakdown.CI: ["false", "true"],
    Breakdown.FILE_TYPE: FILE_TYPES,
}


def downloads_of(rank: int) -> int:
    """A project's day downloads by popularity rank (0 is the most downloaded)."""
    return max(1, int(TOP_DOWNLOADS / (rank + 1) ** ZIPF_EXPONENT))


def versions_of(downloads: int, scale: float) -> int:
    """How many versions a project with these downloads had downloaded in a day."""
    return max(1, min(2000, int(scale * downloads**0.3)))


def calibrate_version_scale(projects: int, target: int) -> float:
    """The scale for versions_of that gives `target` version rows over `projects` projects."""
    downloads = [downloads_of(rank) for rank in range(projects)]
    low, high = 0.01, 100.0
    for _ in range(20):
        middle = (low + high) / 2
        total = sum(versions_of(d, middle) for d in downloads)
        low, high = (middle, high) if total < target else (low, middle)
    return (low + high) / 2


@functools.lru_cache(maxsize=65536)
def split(total: int, parts: int) -> tuple[int, ...]:
    """`total` split into `parts` decreasing shares (a geometric spread), summing exactly to total."""
    weights = [0.6**n for n in range(parts)]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    shares[0] += total - sum(shares)
    return tuple(shares)


VERSION_NAMES = [f"{n // 100}.{n % 100}.0" for n in range(2000)]


def day_rows(projects: int, version_scale: float) -> Iterator[DayRow]:
    """The day's rows, project by project, generated lazily."""
    for rank in range(projects):
        name = f"project-{rank}"
        downloads = downloads_of(rank)
        non_mirror = downloads - downloads // 20
        versions = versions_of(downloads, version_scale)
        for version, share in zip(VERSION_NAMES, split(downloads, versions), strict=False):
            yield DayRow(name, Breakdown.VERSION, version, share, share - share // 20, share // 2, share // 10)
        for breakdown, (cap, growth) in CATEGORY_CAPS.items():
            categories = max(1, min(cap, downloads, int(downloads**growth)))
            values = CATEGORY_VALUES[breakdown]
            for n, (share, non_mirror_share) in enumerate(
                zip(split(downloads, categories), split(non_mirror, categories), strict=True)
            ):
                yield DayRow(
                    name, breakdown, values[n] if n < len(values) else None, share, min(share, non_mirror_share), 0, 0
                )


class PhaseRecorder(logging.Handler):
    """Collects the loader's "import progress" log records: phase, rows, seconds."""

    def __init__(self):
        super().__init__()
        self.phases: list[tuple[str, int, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "import progress":
            self.phases.append((record.phase, record.rows, record.seconds))


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wal_position(pool: ConnectionPool) -> int:
    """The server's current WAL position, in bytes: what a standby replays."""
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
        return cur.fetchone()[0]


def stored_sizes(pool: ConnectionPool) -> dict[str, int]:
    """Bytes (indexes and TOAST included) of the first day's partitions, the month of project_days that holds both
    days, and the per-project ring of recent days, which does not grow with the days."""
    tables = [f"version_downloads_{DAY:%Y%m%d}", f"category_downloads_{DAY:%Y%m%d}", f"project_days_{DAY:%Y%m}"]
    with pool.connection() as conn, conn.cursor() as cur:
        sizes = {}
        for table in [*tables, "project_recent_days", "projects"]:
            # 0 for a table this version of the code does not have.
            cur.execute("SELECT coalesce(pg_total_relation_size(to_regclass(%s)), 0)", (table,))
            sizes[table] = cur.fetchone()[0]
    return sizes


def import_generated_day(pool: ConnectionPool, day: date, projects: int, scale: float) -> tuple[int, int]:
    """Import the generated day through the real loader, its start in the ledger first as the daily import records
    it; returns the rows written and the WAL the server wrote meanwhile."""
    PostgresImportLedger(pool).record_start(day, "bench")
    before = wal_position(pool)
    written = PostgresDownloadsRepository(pool).replace_day(day, "bench", day_rows(projects, scale), 0)
    return written, wal_position(pool) - before


def run_loader(projects: int, version_rows: int, runs: int) -> None:
    """Import the day, re-import it, and import the next day, `runs` times, each into a new database."""
    scale = calibrate_version_scale(projects, version_rows)
    recorder = PhaseRecorder()
    logging.getLogger("pepy.infrastructure.postgres.repository").addHandler(recorder)
    logging.getLogger("pepy.infrastructure.postgres.repository").setLevel(logging.INFO)
    started = time.monotonic()
    generated = sum(1 for _ in day_rows(projects, scale))
    generator_seconds = time.monotonic() - started
    print(f"the generator alone: {generated:,} rows in {generator_seconds:.1f}s (part of every wall time below)")
    first_walls, again_walls, warm_walls, table_rates = [], [], [], {}
    sizes: list[dict[str, int]] = []
    wal: dict[str, list[int]] = {}
    for run in range(runs):
        with bench_database() as url:
            pool = ConnectionPool(url, max_connections=2)
            attempts = (("first", DAY, first_walls), ("re-import", DAY, again_walls), ("new day", NEXT_DAY, warm_walls))
            for attempt, day, walls in attempts:
                recorder.phases.clear()
                started = time.monotonic()
                written, written_wal = import_generated_day(pool, day, projects, scale)
                walls.append(time.monotonic() - started)
                wal.setdefault(attempt, []).append(written_wal)
                for phase, rows, seconds in recorder.phases:
                    table_rates.setdefault((attempt, phase), []).append((rows, seconds))
                print(f"run {run + 1} {attempt}: {written:,} rows in {walls[-1]:.1f}s; peak RSS {peak_rss_mb():.0f} MB")
            sizes.append(stored_sizes(pool))
            pool.close()
    print()
    print("stored after the two days, MB (median over runs):")
    for table in sizes[0]:
        print(f"  {table:<32} {statistics.median(s[table] for s in sizes) / 1e6:>8.1f}")
    for attempt, samples in wal.items():
        print(f"WAL written by the {attempt}: median {statistics.median(samples) / 1e6:,.0f} MB")
    print()
    print(f"{'phase':<20} {'attempt':<10} {'rows':>12} {'seconds':>8} {'rows/s':>12}")
    for (attempt, phase), samples in table_rates.items():
        rows = samples[0][0]
        seconds = statistics.median(s for _, s in samples)
        rate = f"{rows / seconds:,.0f}" if seconds else "-"
        print(f"{phase:<20} {attempt:<10} {rows:>12,} {seconds:>8.2f} {rate:>12}")
    first, again = statistics.median(first_walls), statistics.median(again_walls)
    warm = statistics.median(warm_walls)
    print()
    print(
        f"whole day into an empty database: median {first:.1f}s over {runs} run(s), "
        f"{first - generator_seconds:.1f}s without the generator (target <= 60s)"
    )
    print(f"identical re-import:              median {again:.1f}s = {again / first:.2f}x the first (target <= 1.2x)")
    print(f"next day, projects already known: median {warm:.1f}s")
    versions = table_rates[("first", "version_downloads")][0][0]
    staged = table_rates[("first", "staged")]
    share = versions / staged[0][0] * statistics.median(s for _, s in staged)
    own = statistics.median(s for _, s in table_rates[("first", "version_downloads")])
    print(
        f"version_downloads: {versions / own:,.0f} rows/s in its own phase; {versions / (own + share):,.0f} rows/s "
        f"with its share of staging; {versions / first:,.0f} rows/s over the whole import (target >= 200,000)"
    )
    print(f"peak RSS of the importing process: {peak_rss_mb():.0f} MB (target <= 300 MB)")


def run_production_wal(projects: int, version_rows: int) -> None:
    """The WAL of the next day's import into a database holding the day before, on a throwaway durable server with
    production's WAL settings, after a checkpoint (production's come every 15 minutes, so between two daily
    imports): what a standby replays in production, full pages included, which neither the shared server's
    settings nor the replica harness's servers (which skip full pages) give."""
    scale = calibrate_version_scale(projects, version_rows)
    with tempfile.TemporaryDirectory(prefix="pepy-bench-wal-") as folder:
        server = EmbeddedPostgres(Path(folder), settings={**PRODUCTION_WAL_SETTINGS, "shared_buffers": "1GB"})
        url = server.start()
        try:
            migrate.upgrade(url)
            pool = ConnectionPool(url, max_connections=2)
            import_generated_day(pool, DAY, projects, scale)
            with pool.connection() as conn, conn.cursor() as cur:
                cur.execute("CHECKPOINT")
            _, wal = import_generated_day(pool, NEXT_DAY, projects, scale)
            pool.close()
        finally:
            server.stop()
    settings = ", ".join(f"{name} {value}" for name, value in PRODUCTION_WAL_SETTINGS.items())
    print(f"WAL of the next day's import with production's settings ({settings}, durable): {wal / 1e6:,.0f} MB")


def write_raw_parquet(path: Path, rows: int, projects: int) -> None:
    """`rows` raw download rows of one day in the table's schema, as Parquet, generated inside DuckDB."""
    start = f"{DAY} 00:00:00"
    duckdb.sql(
        f"""COPY (
            SELECT
              TIMESTAMP '{start}' + INTERVAL (i % 86400000) MILLISECOND AS timestamp,
              ['US','DE','CN','IN','GB','FR','JP', NULL][1 + (i % 8)] AS country_code,
              'project-' || CAST(floor(pow(hash(i) % 1000000 / 1000000.0, 3) * {projects}) AS BIGINT) AS project,
              {{'filename': 'x.whl', 'project': 'x', 'version': CAST(i % 7 AS VARCHAR) || '.0',
                'type': ['bdist_wheel','sdist'][1 + (i % 2)]}} AS file,
              {{'installer': {{'name': ['pip','uv','bandersnatch', NULL,'poetry'][1 + (i % 5)], 'version': '1'}},
                'python': ['3.12.1','3.11.4','3.10.0', NULL,'abc'][1 + (i % 5)],
                'system': {{'name': ['Linux','Windows','Darwin','FreeBSD'][1 + (i % 4)], 'release': '1'}},
                'ci': [true, false, NULL][1 + (i % 3)]}} AS details
            FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet)"""
    )


def run_files_source(rows: int, projects: int, runs: int) -> None:
    """Raw rows per second through FilesSource over a Parquet file."""
    with tempfile.TemporaryDirectory(prefix="pepy-bench-") as folder:
        path = Path(folder) / f"{DAY}.parquet"
        started = time.monotonic()
        write_raw_parquet(path, rows, projects)
        print(f"wrote {rows:,} raw rows to Parquet in {time.monotonic() - started:.1f}s")
        times = []
        for _ in range(runs):
            started = time.monotonic()
            aggregated = sum(1 for _ in FilesSource(str(path)).read_day(DAY).rows)
            times.append(time.monotonic() - started)
        seconds = statistics.median(times)
        print(
            f"files source: {rows:,} raw rows -> {aggregated:,} day rows, median {seconds:.1f}s "
            f"= {rows / seconds:,.0f} raw rows/s over {runs} run(s)"
        )


def main() -> None:
    """Parse the options and run both benchmarks."""
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=400_000)
    parser.add_argument("--version-rows", type=int, default=3_000_000)
    parser.add_argument("--raw-rows", type=int, default=10_000_000)
    parser.add_argument("--raw-projects", type=int, default=20_000, help="projects the raw rows spread over")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    print("machine: 2 cores, 24 GB (shared and noisy: figures are medians)")
    run_loader(options.projects, options.version_rows, options.runs)
    run_production_wal(options.projects, options.version_rows)
    print()
    run_files_source(options.raw_rows, options.raw_projects, options.runs)


if __name__ == "__main__":
    main()
