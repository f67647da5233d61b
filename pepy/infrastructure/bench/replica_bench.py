"""`make bench-replica`: the API served from a hot standby while its primary imports a production-scale day.

The benchmark starts a primary and a hot standby of its own (pepy/infrastructure/postgres/embedded_replication.py,
from the machine's PostgreSQL binaries: never a shared server), loads a serving database into the primary through
the real loader (bench-api's generator, smaller by default; the standby replays it) and serves it with the API's
server as deployed, reading from the standby. For each configuration (the standby's settings, and
PEPY_READ_CONFLICT_RETRIES) it drives wrk in slices of a few seconds over a mix of endpoints with every name
respelled, so that every answer is read from the standby: idle first, then while the primary imports a new
production-scale day (bench-import's generator) and imports it again (a re-run replaces the day's partitions),
until the standby has replayed both. It prints each slice, and per configuration the idle and during-import p99,
the errors, the reads the standby cancelled (pg_stat_database_conflicts) and the largest replay lag.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from pepy.infrastructure.bench import api_bench, import_bench
from pepy.infrastructure.bench.wrk import run_wrk
from pepy.infrastructure.postgres import migrate
from pepy.infrastructure.postgres.embedded import free_port
from pepy.infrastructure.postgres.embedded_replication import RECOMMENDED_STANDBY_SETTINGS, ReplicatedPostgres
from pepy.infrastructure.postgres.ledger import PostgresImportLedger
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.replication import PostgresReplication
from pepy.infrastructure.postgres.repository import PostgresDownloadsRepository

# Reads of every kind of table: the day documents (v2), totals (v1, recent), category rows (python_minor) and
# version rows (v3's summary).
ENDPOINTS = (
    "/api/v2/projects/{}",
    "/api/v1/projects/{}",
    "/api/packages/{}/recent",
    "/api/packages/{}/python_minor",
    "/api/v3/projects/{}",
)
POSTGRES_DEFAULTS = {"hot_standby_feedback": "off", "max_standby_streaming_delay": "30s"}
# name: (the standby's settings, PEPY_READ_CONFLICT_RETRIES). The first is what the README recommends.
CONFIGURATIONS = {
    "recommended": (RECOMMENDED_STANDBY_SETTINGS, 2),
    "PostgreSQL's defaults, no retry": (POSTGRES_DEFAULTS, 0),
    "PostgreSQL's defaults, retry": (POSTGRES_DEFAULTS, 2),
    "cancel at once, no retry": ({**POSTGRES_DEFAULTS, "max_standby_streaming_delay": "0"}, 0),
    "cancel at once, retry": ({**POSTGRES_DEFAULTS, "max_standby_streaming_delay": "0"}, 2),
}
_CONFLICTS = """
SELECT confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin + confl_deadlock
FROM pg_stat_database_conflicts WHERE datname = current_database()
"""


class LagSampler:
    """The standby's largest replay lag (seconds, bytes) since the last `take`, sampled twice a second."""

    def __init__(self, url: str):
        self._pool = ConnectionPool(url, max_connections=1, autocommit=True)
        self._replication = PostgresReplication(self._pool)
        self._largest = (0.0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            lag = self._replication.lag()
            self._largest = (max(self._largest[0], lag.seconds), max(self._largest[1], lag.bytes))

    def take(self) -> tuple[float, int]:
        """The largest lag since the last call."""
        largest, self._largest = self._largest, (0.0, 0)
        return largest

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._pool.close()


def conflicts(url: str, after_pepy: bool = False) -> int:
    """The reads the standby has cancelled for a conflict with its recovery since it started. A session sends its
    counts now and then, and all of them as it ends: `after_pepy` waits for pepy's sessions to end first."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        while after_pepy:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pepy'")
            after_pepy = cur.fetchone()[0] > 0
            time.sleep(0.1)
        cur.execute(_CONFLICTS)
        found = cur.fetchone()[0]
    conn.close()
    return found


def import_twice(url: str, day, projects: int, scale: float, done: threading.Event, phase: list[str]) -> None:
    """Import the day, then import it again, through the real loader; `phase` says which is running."""
    pool = ConnectionPool(url, max_connections=2)
    repository, ledger = PostgresDownloadsRepository(pool), PostgresImportLedger(pool)
    try:
        for name in ("import", "re-import"):
            phase[0] = name
            ledger.record_start(day, "bench")
            repository.replace_day(day, "bench", import_bench.day_rows(projects, scale), 0)
    finally:
        pool.close()
        done.set()


def run_configuration(name: str, servers: ReplicatedPostgres, day, args, folder: Path) -> dict:
    """Serve from the standby with this configuration, idle then while the primary imports; its figures."""
    settings, retries = CONFIGURATIONS[name]
    servers.configure_standby(**settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = api_bench.start_server(
        servers.primary.url,
        port,
        PEPY_READ_DATABASE_URL=servers.standby.url,
        PEPY_READ_CONFLICT_RETRIES=str(retries),
    )
    rng = random.Random(name)
    names = api_bench.zipf_names(args.projects, 20_000, rng)

    def one_slice() -> dict:
        paths = [ENDPOINTS[n % len(ENDPOINTS)].format(api_bench.respelled(p, rng)) for n, p in enumerate(names)]
        return run_wrk(base, paths, args.slice_seconds, args.connections, folder)

    sampler = LagSampler(servers.standby.url)
    slices = []
    cancelled = conflicts(servers.standby.url)
    try:
        one_slice()
        sampler.take()
        for _ in range(args.idle_slices):
            slices.append(("idle", one_slice(), sampler.take()))
        done, phase = threading.Event(), ["import"]
        importer = threading.Thread(
            target=import_twice, args=(servers.primary.url, day, args.import_projects, args.scale, done, phase)
        )
        importer.start()
        while not done.is_set():
            running = phase[0]
            slices.append((running, one_slice(), sampler.take()))
        importer.join()
        # The standby may still be replaying the end of the second import.
        replayed = threading.Thread(target=servers.wait_for_replay, args=(600,))
        replayed.start()
        while replayed.is_alive():
            slices.append(("replay", one_slice(), sampler.take()))
        replayed.join()
    finally:
        sampler.stop()
        api_bench.stop(server)
    cancelled = conflicts(servers.standby.url, after_pepy=True) - cancelled
    for phase_name, result, (lag_s, lag_bytes) in slices:
        errors = result["non_2xx"] + result["socket_errors"]
        print(
            f"  {phase_name:<10}{result['rps']:>8.0f} req/s  p50 {result['p50']:>7.2f} ms  p99 {result['p99']:>8.2f} ms"
            f"  errors {errors:>4}  lag {lag_s:>5.1f} s {lag_bytes / 2**20:>7.1f} MB",
            flush=True,
        )
    busy = [result for phase_name, result, _ in slices if phase_name != "idle"]
    return {
        "idle p99": statistics.median(result["p99"] for phase_name, result, _ in slices if phase_name == "idle"),
        "import p99": statistics.median(result["p99"] for result in busy),
        "worst p99": max(result["p99"] for result in busy),
        "import rps": statistics.median(result["rps"] for result in busy),
        "errors": sum(result["non_2xx"] + result["socket_errors"] for _, result, _ in slices),
        "cancelled": cancelled,
        "lag": max(lag_s for _, _, (lag_s, _) in slices),
    }


def main(argv: list[str] | None = None) -> None:
    """Start the servers, load the serving database, measure each configuration, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20_000, help="projects of the serving database")
    parser.add_argument("--days", type=int, default=30, help="days of the serving database")
    parser.add_argument("--heavy-versions", type=int, default=500)
    parser.add_argument("--import-projects", type=int, default=400_000, help="projects of the imported day")
    parser.add_argument("--import-version-rows", type=int, default=3_000_000)
    parser.add_argument("--slice-seconds", type=int, default=5)
    parser.add_argument("--idle-slices", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--compare", action="store_true", help="measure every configuration, not the recommended one")
    args = parser.parse_args(argv)
    args.scale = import_bench.calibrate_version_scale(args.import_projects, args.import_version_rows)
    names = list(CONFIGURATIONS) if args.compare else ["recommended"]
    print("machine: 2 cores, 24 GB, shared with other work: compare figures of one run, not across sessions")
    with tempfile.TemporaryDirectory(prefix="pepy-bench-replica-") as folder:
        servers = ReplicatedPostgres(Path(folder))
        primary, _ = servers.start()
        try:
            migrate.upgrade(primary)
            end = datetime.now(UTC).date() - timedelta(days=len(names) + 1)
            print(f"loading {args.projects} projects x {args.days} days into the primary")
            api_bench.load(primary, args.projects, args.days, args.heavy_versions, end)
            servers.wait_for_replay(600)
            results = {}
            for n, name in enumerate(names):
                day = end + timedelta(days=n + 1)
                print(f"{name}: {CONFIGURATIONS[name]}, importing {day} ({args.import_projects} projects) twice")
                results[name] = run_configuration(name, servers, day, args, Path(folder))
        finally:
            servers.stop()
    print(f"\n{'configuration':<34}{'idle p99':>10}{'import p99':>12}{'worst':>8}{'req/s':>8}{'errors':>8}", end="")
    print(f"{'cancelled':>11}{'lag s':>7}")
    for name, r in results.items():
        print(
            f"{name:<34}{r['idle p99']:>10.1f}{r['import p99']:>12.1f}{r['worst p99']:>8.1f}{r['import rps']:>8.0f}"
            f"{r['errors']:>8}{r['cancelled']:>11}{r['lag']:>7.1f}"
        )
    print(
        "\np99 in ms: idle and during the imports, medians of the slices; worst: the slowest slice's p99 while "
        "importing; req/s: the median slice while importing; errors: answers not 2xx or 3xx and socket errors; "
        "cancelled: reads the standby cancelled (idle slices included); lag: the largest replay lag seen, in seconds"
    )


if __name__ == "__main__":
    main()
