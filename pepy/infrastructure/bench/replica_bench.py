"""`make bench-replica`: the API served from a hot standby while its primary imports a production-scale day.

The benchmark starts a primary and a hot standby of its own (pepy/infrastructure/postgres/embedded_replication.py,
from the machine's PostgreSQL binaries: never a shared server), loads a serving database into the primary through
the real loader (bench-api's generator, smaller by default; the standby replays it) and serves it with the API's
server as deployed, reading from the standby. For each configuration (the standby's settings, and
PEPY_READ_CONFLICT_RETRIES) it drives wrk in slices of a few seconds over a mix of endpoints with every name
respelled, so that every answer is read from the standby: idle first, then while the primary imports a new
production-scale day (bench-import's generator) and imports it again (a re-run replaces the day's partitions),
until the standby has replayed both. It prints each slice, and per configuration the idle and during-import p99,
the errors, the reads the standby cancelled (pg_stat_database_conflicts), the largest replay lag, the WAL each
import wrote, the CPU the standby's recovery took to replay them, and what the standby's readers were doing
(running, or the wait they were in), idle and while importing.

With `--split-cores`, the primary and the import run on one core and the standby, the API's server and wrk on the
other, as on the two hosts of a deployment with a replica: what the imports then cost the reads is the standby's
replay and its conflicts, not a share of the same cores.

With `--paced 0.5`, every slice after each part's first offers half the rate the first one reached at saturation,
from connections that each wait a random while between requests: the p99 of a server with capacity to spare,
which an import's replay on the same cores then costs a share of that spare, rather than the length of a queue
that any CPU taken from the server lengthens.

With `--replay-apart`, the standby's replay is paused while the primary imports and resumed once both imports are
done: the slices while importing then measure what the primary's import costs the reads when it shares their
machine (a standby on a host of its own does not pay it), and the slices while the standby catches up measure its
replay alone, at full speed (`importing apart` and `replaying apart` in the table).

Then, with the recommended configuration, it stops the primary for a minute under the same load: the reads' p99
and errors while it is down, against idle slices just before, and how many requests one client with a key of a
small tier got through while every process limited on its own (at most a burst and its rate's refill from each).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from pepy.domain.access import hash_secret
from pepy.infrastructure.api.server import default_workers
from pepy.infrastructure.bench import api_bench, import_bench, stop_on_sigterm
from pepy.infrastructure.bench.cpu import children_cpu_seconds, pin_tree
from pepy.infrastructure.bench.load_slices import (
    ENDPOINTS,
    busy_against_idle,
    errors,
    p99_columns,
    slice_line,
    slicer,
)
from pepy.infrastructure.bench.standby_sampling import LagSampler, ReaderWaits, shares
from pepy.infrastructure.postgres import migrate
from pepy.infrastructure.postgres.access import PostgresApiKeyRepository
from pepy.infrastructure.postgres.embedded import free_port
from pepy.infrastructure.postgres.embedded_replication import RECOMMENDED_STANDBY_SETTINGS, ReplicatedPostgres
from pepy.infrastructure.postgres.pool import ConnectionPool

POSTGRES_DEFAULTS = {"hot_standby_feedback": "off", "max_standby_streaming_delay": "30s"}
# name: (the standby's settings, PEPY_READ_CONFLICT_RETRIES). The first is what the README recommends.
CONFIGURATIONS = {
    "recommended": (RECOMMENDED_STANDBY_SETTINGS, 2),
    "PostgreSQL's defaults, no retry": (POSTGRES_DEFAULTS, 0),
    "PostgreSQL's defaults, retry": (POSTGRES_DEFAULTS, 2),
    "cancel at once, no retry": ({**POSTGRES_DEFAULTS, "max_standby_streaming_delay": "0"}, 0),
    "cancel at once, retry": ({**POSTGRES_DEFAULTS, "max_standby_streaming_delay": "0"}, 2),
}
# The client whose requests the primary-stopped measure counts: a key of a tier of its own, small enough that the
# outage's refill is a request or two per process.
PROBE_TIER, PROBE_PER_MINUTE, PROBE_BURST = "probe", 1, 5
PROBE_SECRET = "pepy_bench-probe-key"
PROBE_INTERVAL_S = 0.2
# The phases of import_twice, as each slice taken while it runs is labelled.
IMPORT_PHASES = ("import", "re-import")
# --split-cores: the primary's host and the API's.
PRIMARY_CORES, SERVING_CORES = {1}, {0}
_CONFLICTS = """
SELECT confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin + confl_deadlock
FROM pg_stat_database_conflicts WHERE datname = current_database()
"""


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


def postmaster_pid(server) -> int:
    """The process id of a running EmbeddedPostgres's postmaster."""
    return int((server.data / "postmaster.pid").read_text().split()[0])


def replay_cpu_seconds(servers: ReplicatedPostgres) -> float:
    """The CPU time the standby's recovery has taken since it started: its startup process, which replays, and
    its WAL receiver."""
    return children_cpu_seconds(postmaster_pid(servers.standby), rb"startup|walreceiver")


def pin_primary(servers: ReplicatedPostgres, args) -> None:
    """With --split-cores, move the running primary to its own core."""
    if args.split_cores:
        pin_tree(postmaster_pid(servers.primary), PRIMARY_CORES)


def import_twice(url: str, day, args, done: threading.Event, phase: list[str], wal: list[int]) -> None:
    """Import the day, then import it again, through the real loader (on the primary's core with --split-cores);
    `phase` says which is running, and `wal` gets the WAL bytes each wrote."""
    if args.split_cores:
        os.sched_setaffinity(0, PRIMARY_CORES)
    pool = ConnectionPool(url, max_connections=2)
    try:
        for name in IMPORT_PHASES:
            phase[0] = name
            wal.append(import_bench.import_generated_day(pool, day, args.import_projects, args.scale)[1])
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
    one_slice = slicer(base, random.Random(name), args, folder)
    sampler, waits = LagSampler(servers.standby.url).start(), ReaderWaits(servers.standby.url).start()
    slices = []
    cancelled = conflicts(servers.standby.url)
    try:
        one_slice()
        sampler.take()
        waits.take()
        for _ in range(args.idle_slices):
            slices.append(("idle", one_slice(), sampler.take()))
        idle_waits = waits.take()
        done, phase, wal = threading.Event(), ["import"], []
        replay_cpu = replay_cpu_seconds(servers)
        importer = threading.Thread(target=import_twice, args=(servers.primary.url, day, args, done, phase, wal))
        if args.replay_apart:
            servers.pause_replay()
        importer.start()
        while not done.is_set():
            running = phase[0]
            slices.append((running, one_slice(), sampler.take()))
        importer.join()
        if args.replay_apart:
            servers.resume_replay()
        # The standby may still be replaying the end of the second import.
        replayed = threading.Thread(target=servers.wait_for_replay, args=(600,))
        replayed.start()
        # Apart, the catch-up is what is measured: it gets a slice even when it takes less than one.
        catching_up = args.replay_apart
        while replayed.is_alive() or catching_up:
            catching_up = False
            slices.append(("replay", one_slice(), sampler.take()))
        replayed.join()
        replay_cpu = replay_cpu_seconds(servers) - replay_cpu
        busy_waits = waits.take()
    finally:
        sampler.stop()
        waits.stop()
        api_bench.stop(server)
    cancelled = conflicts(servers.standby.url, after_pepy=True) - cancelled
    for phase_name, result, (lag_s, lag_bytes) in slices:
        print(f"{slice_line(phase_name, result)}  lag {lag_s:>5.1f} s {lag_bytes / 2**20:>7.1f} MB", flush=True)
    busy = [result for phase_name, result, _ in slices if phase_name != "idle"]
    idle = [result for phase_name, result, _ in slices if phase_name == "idle"]
    apart = {}
    if args.replay_apart:
        importing = [result for phase_name, result, _ in slices if phase_name in IMPORT_PHASES]
        replaying = [result for phase_name, result, _ in slices if phase_name == "replay"]
        apart = {
            "importing apart": busy_against_idle(idle, importing),
            "replaying apart": busy_against_idle(idle, replaying),
        }
    return (
        busy_against_idle(idle, busy)
        | apart
        | {
            "errors": sum(errors(result) for _, result, _ in slices),
            "cancelled": cancelled,
            "lag": max(lag_s for _, _, (lag_s, _) in slices),
            "wal": wal,
            "replay cpu": replay_cpu,
            "idle waits": idle_waits,
            "busy waits": busy_waits,
        }
    )


def probe_while(base: str, running: threading.Event, statuses: list[int]) -> None:
    """Send the probe client's request every PROBE_INTERVAL_S, each on a new connection (so on any worker), while
    `running` is set; note each status."""
    request = urllib.request.Request(
        base + ENDPOINTS[0].format(api_bench.project_name(1)), headers={"X-API-Key": PROBE_SECRET}
    )
    while running.is_set():
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
        except OSError:
            statuses.append(0)
        time.sleep(PROBE_INTERVAL_S)


def primary_stopped(servers: ReplicatedPostgres, args, folder: Path) -> dict:
    """Serve from the standby (recommended configuration): idle slices, then the primary stopped for
    `args.outage_seconds` under the same load while the probe client asks all along, then the primary started
    again; the figures of each part, and what the probe client got."""
    servers.configure_standby(**RECOMMENDED_STANDBY_SETTINGS)
    key_pool = ConnectionPool(servers.primary.url, max_connections=1)
    PostgresApiKeyRepository(key_pool).add("bench-probe", hash_secret(PROBE_SECRET), PROBE_TIER, ("read",))
    key_pool.close()
    servers.wait_for_replay(60)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = api_bench.start_server(
        servers.primary.url,
        port,
        PEPY_READ_DATABASE_URL=servers.standby.url,
        PEPY_RATE_LIMIT_TIERS=f"{api_bench.ADMIT_ALL_TIERS},{PROBE_TIER}:{PROBE_PER_MINUTE}:{PROBE_BURST}",
    )
    one_slice = slicer(base, random.Random("primary stopped"), args, folder)
    slices, probe = [], []
    try:
        one_slice()
        slices += [("idle", one_slice()) for _ in range(args.idle_slices)]
        servers.primary.stop()
        stopped_at, running = time.monotonic(), threading.Event()
        running.set()
        prober = threading.Thread(target=probe_while, args=(base, running, probe))
        prober.start()
        try:
            while time.monotonic() - stopped_at < args.outage_seconds:
                slices.append(("down", one_slice()))
        finally:
            running.clear()
            prober.join()
            servers.primary.start()
            pin_primary(servers, args)
        outage = time.monotonic() - stopped_at
        slices += [("back", one_slice()) for _ in range(args.idle_slices)]
    finally:
        api_bench.stop(server)
    for phase_name, result in slices:
        print(slice_line(phase_name, result), flush=True)
    down = [result for phase_name, result in slices if phase_name == "down"]
    idle = [result for phase_name, result in slices if phase_name == "idle"]
    refill = math.ceil(outage / 60 * PROBE_PER_MINUTE)
    return busy_against_idle(idle, down) | {
        "errors": sum(errors(result) for result in down),
        "probe sent": len(probe),
        "probe admitted": probe.count(200),
        "probe refused": probe.count(429),
        "probe bound": default_workers() * (PROBE_BURST + refill),
    }


def main(argv: list[str] | None = None) -> None:
    """Start the servers, load the serving database, measure each configuration, print a table."""
    stop_on_sigterm()
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
    parser.add_argument(
        "--split-cores", action="store_true", help="the primary and the import on one core, the rest on the other"
    )
    parser.add_argument("--outage-seconds", type=int, default=60, help="how long the primary is stopped")
    parser.add_argument(
        "--paced", type=float, default=0.0, help="offer this fraction of the saturated rate (0: saturate, the default)"
    )
    parser.add_argument(
        "--replay-apart",
        action="store_true",
        help="pause the standby's replay while the primary imports, then let it catch up: each one's cost alone",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.paced <= 1:
        parser.error(f"--paced must be a fraction from 0 to 1, not {args.paced}")
    args.scale = import_bench.calibrate_version_scale(args.import_projects, args.import_version_rows)
    names = list(CONFIGURATIONS) if args.compare else ["recommended"]
    print("machine: 2 cores, 24 GB, shared with other work: compare figures of one run, not across sessions")
    if args.split_cores:
        os.sched_setaffinity(0, SERVING_CORES)
    with tempfile.TemporaryDirectory(prefix="pepy-bench-replica-") as folder:
        servers = ReplicatedPostgres(Path(folder))
        primary, _ = servers.start()
        pin_primary(servers, args)
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
            print(f"the primary stopped for {args.outage_seconds} s under load (recommended configuration)")
            down = primary_stopped(servers, args, Path(folder))
        finally:
            servers.stop()
    print(f"\n{'configuration':<34}{'idle p99':>10}{'import p99':>12}{'worst':>8}{'pooled':>16}{'req/s':>8}", end="")
    print(f"{'errors':>8}{'cancelled':>11}{'lag s':>7}{'WAL MB':>14}{'replay CPU':>12}")
    for name, r in results.items():
        print(
            f"{name:<34}{p99_columns(r)}{r['errors']:>8}{r['cancelled']:>11}{r['lag']:>7.1f}"
            f"{' + '.join(f'{size / 2**20:.0f}' for size in r['wal']):>14}{r['replay cpu']:>10.1f} s"
        )
        for part in ("importing apart", "replaying apart"):
            if part in r:
                print(f"  {part:<32}{p99_columns(r[part])}")
    print(
        "\np99 in ms: idle and during the imports, medians of the slices; worst: the slowest slice's p99 while "
        "importing; pooled: the p99 of all the idle slices' requests, and of all those while importing; req/s: the "
        "median slice while importing; errors: answers not 2xx or 3xx and socket errors; cancelled: reads the "
        "standby cancelled (idle slices included); lag: the largest replay lag seen, in seconds; WAL: what the import "
        "and the re-import wrote; replay CPU: what the standby's startup process and WAL receiver took for both"
    )
    print("\nthe standby's readers, sampled every 20 ms while running a statement: idle -> while importing")
    for name, r in results.items():
        print(f"{name:<34}{shares(r['idle waits'])} -> {shares(r['busy waits'])}")
    print(
        f"\nprimary stopped {args.outage_seconds} s: idle p99 {down['idle p99']:.1f} ms, p99 while down "
        f"{down['busy p99']:.1f} ms (median slice; worst {down['worst p99']:.1f}; of all requests "
        f"{down['pooled idle p99']:.1f} -> {down['pooled busy p99']:.1f}), {down['busy rps']:.0f} req/s, "
        f"errors {down['errors']}; one client sent {down['probe sent']} requests while it was down: "
        f"{down['probe admitted']} admitted, {down['probe refused']} refused (at most {down['probe bound']}: "
        f"a burst of {PROBE_BURST} and {PROBE_PER_MINUTE}/minute per process)"
    )


if __name__ == "__main__":
    main()
