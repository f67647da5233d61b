"""`make soak`: minutes of mixed traffic against the API's server as deployed, with the daily re-import running part
of the time. Reports, minute by minute, throughput, p99, answers that were not 2xx or 3xx, and RSS per worker.

It reuses the API benchmark's database (`pepy_api_bench`, loaded on first use) and its tools.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pepy.infrastructure.api.server import worker_pids
from pepy.infrastructure.bench import api_bench, stop_on_sigterm
from pepy.infrastructure.bench.database import LOCAL_SERVER, prepare_database
from pepy.infrastructure.bench.wrk import run_wrk
from pepy.infrastructure.postgres.ledger import PostgresImportLedger
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.repository import PostgresDownloadsRepository

# The mix of a day's traffic: badges dominate, as READMEs render them on every view.
MIX = {"badge": 40, "v2": 30, "v1": 10, "pypistats recent": 10, "v3 series": 10}


def worker_rss_mb(main_pid: int) -> list[float]:
    """Resident memory of each of the server's worker processes, in MB, smallest first."""
    sizes = []
    for pid in worker_pids(main_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)


def mixed_paths(names: list[str]) -> list[str]:
    """One path per drawn name, its endpoint chosen with the mix's weights."""
    rng = random.Random(11)
    endpoints = rng.choices(list(MIX), weights=list(MIX.values()), k=len(names))
    return [api_bench.ENDPOINTS[endpoint].format(name) for endpoint, name in zip(endpoints, names, strict=True)]


def reimport(url: str, day, projects: int, heavy_versions: int, done: dict) -> None:
    """The daily refresh: the last day imported again, through the real loader."""
    pool = ConnectionPool(url, max_connections=2)
    repository = PostgresDownloadsRepository(pool)
    started = time.monotonic()
    PostgresImportLedger(pool).record_start(day, "soak")
    rows = api_bench.day_rows(day, projects, heavy_versions, random.Random(day.toordinal()))
    done["rows"] = repository.replace_day(day, "soak", rows, 0)
    done["seconds"] = time.monotonic() - started


def main() -> None:
    """Run the soak and print its table and verdicts."""
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--import-at", type=int, default=3, help="the minute the re-import starts")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--heavy-versions", type=int, default=2000)
    args = parser.parse_args()

    server = os.environ.get("PEPY_BENCH_DATABASE_URL", LOCAL_SERVER)
    url = prepare_database(server, api_bench.DATABASE, fresh=False)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    api_bench.load(url, args.projects, args.days, args.heavy_versions, yesterday)
    port = api_bench.free_port()
    base = f"http://127.0.0.1:{port}"
    api = api_bench.start_server(url, port)
    paths = mixed_paths(api_bench.zipf_names(args.projects, 20_000, random.Random(7)))
    imported: dict = {}
    importer = None
    minutes = []
    try:
        with tempfile.TemporaryDirectory(prefix="pepy-soak-") as folder:
            for minute in range(1, args.minutes + 1):
                if minute == args.import_at:
                    importer = threading.Thread(
                        target=reimport, args=(url, yesterday, args.projects, args.heavy_versions, imported)
                    )
                    importer.start()
                importing = importer is not None and importer.is_alive()
                result = run_wrk(base, paths, 60, args.connections, Path(folder))
                result.update(minute=minute, importing=importing, rss=worker_rss_mb(api.pid))
                minutes.append(result)
                print(
                    f"minute {minute:>2}: {result['rps']:>7.0f} req/s  p99 {result['p99']:>7.1f} ms  "
                    f"non-2xx {result['non_2xx']:>5}  {'importing' if importing else '         '}  "
                    f"worker RSS MB {', '.join(f'{m:.0f}' for m in result['rss'])}",
                    flush=True,
                )
    finally:
        api_bench.stop(api)
        if importer is not None:
            importer.join()

    requests = sum(m["rps"] * 60 for m in minutes)
    errors = sum(m["non_2xx"] for m in minutes)
    warm = statistics.median(minutes[1]["rss"])
    last = statistics.median(minutes[-1]["rss"])
    print(f"\nrequests: {requests:,.0f}; not 2xx/3xx: {errors} (error rate {errors / requests:.5%}; target 0)")
    print(f"re-import during the soak: {imported.get('rows', 0):,} rows in {imported.get('seconds', 0):.0f} s")
    quiet = [m["p99"] for m in minutes if not m["importing"]]
    busy = [m["p99"] for m in minutes if m["importing"]]
    print(
        f"p99: median {statistics.median(quiet):.1f} ms without the import, {max(busy or [0]):.1f} ms worst during it"
    )
    print(
        f"median worker RSS: {warm:.0f} MB after warm-up (minute 2), {last:.0f} MB at the end "
        f"({(last / warm - 1):+.1%}; target at most +10%)"
    )


if __name__ == "__main__":
    main()
