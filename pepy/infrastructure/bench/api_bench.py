"""`make bench-api`: the API under its server, as deployed, driven by wrk over a Zipf mix of project names.

A production-like database is loaded first (into its own database, `pepy_api_bench`, kept between runs when
its parameters match): projects with Zipf popularity, days of per-version and breakdown rows, and one heavy
project with thousands of versions every day. Rows are generated as aggregate DayRows and fed to the real
loader (PostgresDownloadsRepository.replace_day), skipping the raw-row aggregation the import bench measures.
Then each endpoint is loaded for a few seconds per run, and the medians of the runs are reported: at the
chosen concurrency over the Zipf mix (as a running server sees it, answer caches included), v2 again with every
request spelled anew (so none is answered from a cache), and v2 and badges from one client at a time (latency
without queueing). The heavy project's v2 is timed with a fresh spelling each time, so each answer is built, and
so is the top-pypi-packages list of 15,000 rows, asked with a limit no request asked before.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import itertools
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2

from pepy.application.commands import CompactMonths, CompactMonthsHandler, RefreshRankings, RefreshRankingsHandler
from pepy.domain.access import hash_secret
from pepy.domain.downloads import Breakdown, DayRow
from pepy.infrastructure.api.server import COMMAND
from pepy.infrastructure.bench import stop_on_sigterm
from pepy.infrastructure.bench.cpu import CpuSplit
from pepy.infrastructure.bench.database import LOCAL_SERVER, prepare_database
from pepy.infrastructure.bench.wrk import run_wrk
from pepy.infrastructure.postgres.access import PostgresApiKeyRepository
from pepy.infrastructure.postgres.embedded import free_port
from pepy.infrastructure.postgres.ledger import PostgresImportLedger
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.repository import PostgresDownloadsRepository

DATABASE = "pepy_api_bench"
HEAVY = "heavy-project"
ENDPOINTS = {
    "v2": "/api/v2/projects/{}",
    "badge": "/badge/{}",
    "v1": "/api/v1/projects/{}",
    "pypistats recent": "/api/packages/{}/recent",
    "pypistats overall": "/api/packages/{}/overall",
    "pypistats python_minor": "/api/packages/{}/python_minor",
    "v3 series": "/api/v3/projects/{}/downloads",
}
# pepy.tech's Pro downloads over a year, asked with a key of the pro scope (stored in the bench database).
PRO_DOWNLOADS = "/api/v3/pro/projects/{}/downloads?timeRange=ONE_YEAR"
PRO_SECRET = "pepy_bench-pro-key"
# The chart a README embeds: 90 days by version, its top five plus other.
CHART = "/chart/{}.svg?period=90d&breakdown=version"
# The top-pypi-packages list; each request asks one row fewer than the one before, so no cache has its answer.
TOP_LIST = "/api/v3/top-pypi-packages.min.json?days={days}&limit={limit}"
TOP_LIST_ROWS = 15_000
# A project's page on the site, as a link to it opens it (its chart is another request, measured above).
PAGE = "/projects/{}"
# Tiers that admit every client keep the limiter's cost in every request measured, and refuse none.
ADMIT_ALL_TIERS = "anonymous:1000000000:100000000,pro:1000000000:100000000"
# The most downloaded project gets this many downloads a day; rank r gets TOP / r**ZIPF_EXPONENT.
TOP = 3_000_000
ZIPF_EXPONENT = 1.3
PYTHONS = ("3.12", "3.11", "3.10", "3.13", "3.9", "3.8")
SYSTEMS = ("Linux", "Windows", "Darwin")


def respelled_paths(template: str, names: list[str], rng: random.Random) -> list[str]:
    """The paths of the names, each spelled anew (see `respelled`)."""
    return [template.format(respelled(name, rng)) for name in names]


def project_name(rank: int) -> str:
    """The bench's name of the project of a popularity rank (1 is the most downloaded)."""
    return f"project-{rank}"


def day_rows(day: date, projects: int, heavy_versions: int, rng: random.Random) -> Iterator[DayRow]:
    """One day: every project whose Zipf share rounds to a download, its versions and three breakdowns."""
    for rank in range(1, projects + 1):
        downloads = int(TOP / rank**ZIPF_EXPONENT * rng.uniform(0.7, 1.3))
        if downloads == 0:
            continue
        yield from _project_rows(project_name(rank), downloads, min(1 + len(str(downloads)), 12), rng)
    yield from _project_rows(HEAVY, heavy_versions * 20, heavy_versions, rng)


def _project_rows(name: str, downloads: int, versions: int, rng: random.Random) -> Iterator[DayRow]:
    mirrors = downloads // 20
    shares = _split(downloads, versions, rng)
    for n, count in enumerate(shares):
        mirror = mirrors * count // downloads
        yield DayRow(
            name, Breakdown.VERSION, f"{n // 10}.{n % 10}.0", count, count - mirror, (count - mirror) // 2, count // 10
        )
    for breakdown, categories in (
        (Breakdown.PYTHON_MAJOR, ("3",)),
        (Breakdown.PYTHON_MINOR, PYTHONS),
        (Breakdown.SYSTEM, SYSTEMS),
    ):
        used = categories[: 1 + min(len(categories) - 1, len(str(downloads)) // 2)]
        for category, count in zip(used, _split(downloads, len(used), rng), strict=True):
            yield DayRow(name, breakdown, category, count, count - mirrors * count // downloads, 0, 0)


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    # Geometric-ish shares: the newest versions and the top categories take most downloads.
    parts = min(parts, total)
    weights = [rng.uniform(0.5, 1.0) / (i + 1) for i in range(parts)]
    scale = total / sum(weights)
    shares = [max(1, int(w * scale)) for w in weights]
    shares[0] += total - sum(shares)
    if shares[0] < 1:
        return [total]
    return shares


def load(url: str, projects: int, days: int, heavy_versions: int, end: date) -> None:
    """Fill the database unless it already holds this load; prints progress."""
    marker = f"{projects}:{days}:{heavy_versions}:{end}"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_marker (load text)")
        cur.execute("SELECT load FROM bench_marker")
        if cur.fetchone() == (marker,):
            print(f"database already loaded ({marker})", flush=True)
            return
    pool = ConnectionPool(url, max_connections=2)
    repository, ledger = PostgresDownloadsRepository(pool), PostgresImportLedger(pool)
    rng = random.Random(20261120)
    started = time.monotonic()
    for n in range(days):
        day = end - timedelta(days=days - 1 - n)
        ledger.record_start(day, "bench")
        rows = repository.replace_day(day, "bench", day_rows(day, projects, heavy_versions, rng), 0)
        print(f"  {day}: {rows} rows, {time.monotonic() - started:.0f} s so far", flush=True)
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("DELETE FROM bench_marker")
        cur.execute("INSERT INTO bench_marker VALUES (%s)", (marker,))
    conn.close()


def start_server(url: str, port: int, **environment: str) -> subprocess.Popen:
    """The API's server with the deployed configuration (and the PEPY_* `environment` given), once it answers."""
    env = {**os.environ, "PEPY_DATABASE_URL": url, "PEPY_ENV": "production", "PEPY_BIND": f"127.0.0.1:{port}"}
    # As deployed, behind the local nginx: the client is the X-Forwarded-For address that wrk's script sends.
    env["PEPY_TRUSTED_PROXIES"] = "127.0.0.1/32"
    env["PEPY_RATE_LIMIT_TIERS"] = ADMIT_ALL_TIERS
    env.update(environment)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        COMMAND,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health-check", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise SystemExit("the server did not answer within 30 s")


def stop(server: subprocess.Popen) -> None:
    """Stop the server and its workers."""
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def zipf_names(projects: int, count: int, rng: random.Random) -> list[str]:
    """Names drawn as traffic draws them: a project's share of requests follows its popularity."""
    cumulative = list(itertools.accumulate(1 / rank**1.1 for rank in range(1, projects + 1)))
    return [project_name(1 + bisect.bisect_left(cumulative, rng.uniform(0, cumulative[-1]))) for _ in range(count)]


def respelled(name: str, rng: random.Random) -> str:
    """The same project under another spelling (case, separators), which PEP 503 lookup finds.

    Each worker keeps its answers under the request's path, so a new spelling is a request no cache has seen:
    the answer is built from PostgreSQL, as the first request after an import is.
    """
    return "".join(
        rng.choice("-_.") if c == "-" else c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in name
    )


def heavy_latency(base: str, requests: int, rng: random.Random, template: str = ENDPOINTS["v2"], key: str = "") -> dict:
    """Sequential latencies (ms) of the heavy project's answer (v2 unless told), each built afresh, and its size."""
    timings, size = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        headers = {"X-API-Key": key} if key else {}
        request = urllib.request.Request(base + template.format(respelled(HEAVY, rng)), headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            size = len(answer.read())
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"p50": statistics.median(timings), "max": timings[-1], "bytes": size}


def top_list_latency(base: str, days: int, limits: Iterator[int], requests: int) -> dict:
    """Sequential latencies (ms) of the top list over `days`, each asked with the next of `limits`, and the most
    rows one answer had."""
    timings, rows = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        with urllib.request.urlopen(base + TOP_LIST.format(days=days, limit=next(limits)), timeout=30) as answer:
            body = answer.read()
        timings.append((time.perf_counter() - started) * 1000)
        rows = max(rows, len(json.loads(body)["rows"]))
    timings.sort()
    return {"p50": statistics.median(timings), "max": timings[-1], "rows": rows}


def maintain(url: str) -> None:
    """What an import run's end does: build the rankings unless they are current, document the finished months v2
    reaches, and rewrite the months that ended a week ago in project order; prints how long each took."""
    pool = ConnectionPool(url, max_connections=2)
    repository = PostgresDownloadsRepository(pool)
    refreshed = RefreshRankingsHandler(repository)(RefreshRankings(only_if_stale=True))
    if refreshed is not None:
        print(f"rankings built in {refreshed.seconds:.1f} s", flush=True)
    finished = CompactMonthsHandler(repository, lambda: datetime.now(UTC).date())(CompactMonths())
    for documented in finished.documented:
        print(
            f"{documented.month:%Y-%m} documented: {documented.projects} projects in {documented.seconds:.1f} s",
            flush=True,
        )
    for month in finished.compacted:
        print(f"{month.month:%Y-%m} compacted: {month.rows} rows in {month.seconds:.1f} s", flush=True)
    pool.close()


def main(argv: list[str] | None = None) -> None:
    """Load (or reuse) the bench database, then measure each endpoint and print a table of medians."""
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--heavy-versions", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--fresh", action="store_true", help="drop and reload the bench database")
    parser.add_argument("--database", default=DATABASE, help="the bench database's name")
    parser.add_argument("--only", help="the loads to run, by name, separated by commas (default: all)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")

    server = os.environ.get("PEPY_BENCH_DATABASE_URL", LOCAL_SERVER)
    url = prepare_database(server, args.database, args.fresh)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    print(f"loading {args.projects} projects x {args.days} days (+ {HEAVY}: {args.heavy_versions} versions)")
    load(url, args.projects, args.days, args.heavy_versions, yesterday)
    maintain(url)
    keys = PostgresApiKeyRepository(ConnectionPool(url, max_connections=1))
    if keys.find_active(hash_secret(PRO_SECRET)) is None:
        keys.add("bench-pro", hash_secret(PRO_SECRET), "pro", ("read", "pro"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_process = start_server(url, port)
    cpu = CpuSplit(server_process.pid)
    rng = random.Random(7)
    names = zipf_names(args.projects, 20_000, rng)
    paths = {endpoint: [template.format(n) for n in names] for endpoint, template in ENDPOINTS.items()}
    pro_paths = [PRO_DOWNLOADS.format(n) for n in names]
    chart_paths = [CHART.format(n) for n in names]
    page_paths = [PAGE.format(n) for n in names]
    # Each load: endpoint, connections, the paths of one run (uncached ones spelled anew every run), and its key.
    loads = [(endpoint, args.connections, lambda e=endpoint: paths[e], "") for endpoint in ENDPOINTS]
    # The hot endpoints with every name spelled anew, so each answer is built from PostgreSQL: at the chosen
    # concurrency, and from one client.
    for endpoint in ("v2", "v1", "badge", "pypistats recent", "pypistats overall", "pypistats python_minor"):
        spelled = functools.partial(respelled_paths, ENDPOINTS[endpoint], names, rng)
        loads += [(f"{endpoint} uncached", args.connections, spelled, ""), (f"{endpoint} uncached 1", 1, spelled, "")]
    loads += [
        ("v2 one client", 1, lambda: paths["v2"], ""),
        ("badge one client", 1, lambda: paths["badge"], ""),
        ("pro one client", 1, lambda: pro_paths, PRO_SECRET),
        ("chart", args.connections, lambda: chart_paths, ""),
        ("chart uncached", 1, lambda: [CHART.format(respelled(n, rng)) for n in names], ""),
        ("page", args.connections, lambda: page_paths, ""),
        ("page one client", 1, lambda: page_paths, ""),
        ("page uncached", 1, lambda: [PAGE.format(respelled(n, rng)) for n in names], ""),
    ]
    if args.only:
        chosen = set(args.only.split(","))
        if unknown := chosen - {endpoint for endpoint, _, _, _ in loads}:
            raise SystemExit(f"--only: no load named {', '.join(sorted(unknown))}")
        loads = [load for load in loads if load[0] in chosen]
    results: dict[str, list[dict]] = {endpoint: [] for endpoint, _, _, _ in loads}
    heavy, heavy_pro = [], []
    top_lists: dict[int, list[dict]] = {30: [], 365: []}
    top_limits = itertools.count(TOP_LIST_ROWS, -1)
    try:
        with tempfile.TemporaryDirectory(prefix="pepy-bench-api-") as folder:
            # A short warm-up: connections, plans and the popular projects' pages, as a running server has them.
            for warm in [*paths.values(), chart_paths, page_paths]:
                run_wrk(base, warm[:2000], 2, args.connections, Path(folder))
            for run in range(args.runs):
                for endpoint, connections, paths_of_run, key in loads:
                    results[endpoint].append(
                        run_wrk(base, paths_of_run(), args.seconds, connections, Path(folder), key, cpu)
                    )
                heavy.append(heavy_latency(base, 10, rng))
                heavy_pro.append(heavy_latency(base, 10, rng, PRO_DOWNLOADS, PRO_SECRET))
                for days, timings in top_lists.items():
                    timings.append(top_list_latency(base, days, top_limits, 10))
                shown = {e: {k: v for k, v in r[-1].items() if k != "quantiles_ms"} for e, r in results.items()}
                print(f"run {run + 1}: " + json.dumps(shown), flush=True)
    finally:
        stop(server_process)

    # CPU per request: the app server's, PostgreSQL's, and the whole machine's (wrk's and the rest's included).
    columns = ("rps", "p50", "p99", "non_2xx", "app_us", "postgres_us", "machine_us")
    print(
        f"\n{'endpoint':<30}{'clients':>8}" + "".join(f"{c:>12}" for c in ("req/s", "p50 ms", "p99 ms", *columns[3:]))
    )
    for endpoint, connections, _, _ in loads:
        row = [statistics.median(r[k] for r in results[endpoint]) for k in columns]
        print(
            f"{endpoint:<30}{connections:>8}{row[0]:>12.0f}{row[1]:>12.2f}{row[2]:>12.2f}"
            + "".join(f"{v:>12.0f}" for v in row[3:])
        )
    print(
        f"\nheavy v2, uncached ({HEAVY}, {args.heavy_versions} versions, {heavy[0]['bytes']} bytes): "
        f"median {statistics.median(h['p50'] for h in heavy):.0f} ms, "
        f"worst {max(h['max'] for h in heavy):.0f} ms"
    )
    print(
        f"heavy pro downloads ONE_YEAR, uncached ({heavy_pro[0]['bytes']} bytes): "
        f"median {statistics.median(h['p50'] for h in heavy_pro):.0f} ms, "
        f"worst {max(h['max'] for h in heavy_pro):.0f} ms"
    )
    for days, timings in top_lists.items():
        print(
            f"top-pypi-packages days={days}, uncached ({timings[0]['rows']} rows): "
            f"median {statistics.median(t['p50'] for t in timings):.0f} ms, "
            f"worst {max(t['max'] for t in timings):.0f} ms"
        )


if __name__ == "__main__":
    main()
