"""`make bench-instructions`: the app's instructions per request, counted by callgrind, to compare two versions of
the code on a host whose seconds vary.

On a shared 2-core host, throughput differs by more than 5% between runs of the same code; callgrind's count of
instructions repeats to a fraction of a percent whatever else the machine does. This runs the Flask app
in-process (no HTTP server) against the API benchmark's database (`make bench-api` loads it) under
`valgrind --tool=callgrind`: once with a warm-up only, once with the same warm-up and N requests of an endpoint,
each under a new spelling (so each answer is built from PostgreSQL), each a call of the WSGI app as the server
(granian) makes it, with the production log line. The difference over N is the app's own instructions per request,
psycopg2 and libpq included; PostgreSQL's and the server's not. Run it in two checkouts to compare them.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2

from pepy.infrastructure.bench import stop_on_sigterm
from pepy.infrastructure.bench.api_bench import ADMIT_ALL_TIERS, DATABASE, ENDPOINTS, respelled, zipf_names
from pepy.infrastructure.bench.database import LOCAL_SERVER

MODULE = "pepy.infrastructure.bench.instructions"
WARM_UP = 50
SEED = 20261202


@functools.cache
def _process_environment() -> dict[str, str]:
    # Copied once into a plain dict, as granian does when a worker starts: merging os.environ itself decodes every
    # variable on each request, some 200 µs a request that the server never pays.
    return dict(os.environ)


def wsgi_environ(path: str) -> dict:
    """The environ granian gives the app for a GET of `path` from a client behind the proxy: the process's
    environment (as the app left it once built), then the request's."""
    return _process_environment() | {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
        "HTTP_USER_AGENT": "wrk", "HTTP_X_FORWARDED_FOR": "198.18.0.7", "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "wsgi.input_terminated": True, "SERVER_SOFTWARE": "Granian", "GATEWAY_INTERFACE": "CGI/1.1",
    }  # fmt: skip


def serve_requests(endpoint: str, count: int) -> None:
    """Inside valgrind: build the app as the WSGI entry point does (its production log included), warm it up, then
    answer `count` requests, each by calling the app as the server does: a test client would add a third again."""
    from dependency_injector import providers

    from pepy.infrastructure.api.app import create_app
    from pepy.infrastructure.container import build_container
    from pepy.infrastructure.logging import configure_logging
    from pepy.infrastructure.postgres.ledger import PostgresImportLedger
    from pepy.infrastructure.settings import Settings

    settings = Settings.from_env()
    configure_logging(settings.env, settings.log_level)
    container = build_container(settings)
    # Under valgrind a request takes a hundred times longer: the ledger's five-second freshness would expire within
    # the measured part and add reads that a running server makes once per five seconds, not per request.
    container.read_ledger.override(
        providers.Singleton(PostgresImportLedger, pool=container.read_pool, freshness_ttl_s=float("inf"))
    )
    app = create_app(container)
    rng = random.Random(SEED)
    names = zipf_names(100_000, WARM_UP + count, rng)
    statuses: list[str] = []

    def start_response(status: str, headers: list, exc_info=None) -> None:
        statuses.append(status)

    for name in names:
        body = b"".join(app(wsgi_environ(ENDPOINTS[endpoint].format(respelled(name, rng))), start_response))
        if not statuses[-1].startswith("200"):
            raise SystemExit(f"{endpoint} {name}: {statuses[-1]} {body[:200]!r}")


def count_instructions(endpoint: str, requests: int, url: str, folder: Path) -> int:
    """Instructions of the whole process (callgrind's total) for a warm-up plus `requests` requests."""
    out = folder / f"callgrind.{requests}.out"
    env = {**os.environ, "PYTHONHASHSEED": "0", "PEPY_DATABASE_URL": url, "PEPY_ENV": "production"}
    env["PEPY_RATE_LIMIT_TIERS"] = ADMIT_ALL_TIERS
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m", MODULE,
         "--inner", endpoint, str(requests)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"{endpoint}: the run under callgrind failed:\n{run.stderr[-2000:]}")
    return int(re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M).group(1))


def main(argv: list[str] | None = None) -> None:
    """Print the instructions per request of each endpoint asked for."""
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per endpoint")
    parser.add_argument(
        "--endpoints", default="v2,badge,v1,pypistats recent,pypistats overall", help="separated by commas"
    )
    parser.add_argument("--inner", nargs=2, metavar=("ENDPOINT", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        serve_requests(args.inner[0], int(args.inner[1]))
        return
    endpoints = args.endpoints.split(",")
    if unknown := [e for e in endpoints if e not in ENDPOINTS]:
        raise SystemExit(f"--endpoints: no endpoint named {', '.join(unknown)} (known: {', '.join(ENDPOINTS)})")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install -y valgrind)")
    server = os.environ.get("PEPY_BENCH_DATABASE_URL", LOCAL_SERVER)
    url = server.rsplit("/", 1)[0] + f"/{DATABASE}"
    try:
        psycopg2.connect(url).close()
    except psycopg2.OperationalError as error:
        raise SystemExit(
            f"no benchmark database ({error.args[0].strip()}): load it with `make bench-api` first"
        ) from None
    print(f"instructions per request, {args.requests} requests per endpoint, each built afresh ({DATABASE})")
    with tempfile.TemporaryDirectory(prefix="pepy-bench-instructions-") as folder:
        for endpoint in endpoints:
            base = count_instructions(endpoint, 0, url, Path(folder))
            total = count_instructions(endpoint, args.requests, url, Path(folder))
            print(f"{endpoint:<18}{(total - base) / args.requests:>14,.0f}", flush=True)


if __name__ == "__main__":
    main()
