"""The API's HTTP server: granian's WSGI workers over the app, the same for `make run`, the container and production;
PEPY_* variables tune it. Run it as `python -m pepy.infrastructure.api.server`.

granian parses HTTP in Rust: against gunicorn's gthread worker it served a quarter more requests a second on the
same app (README, Performance). Signals: SIGINT or SIGTERM stop it (workers finish what they hold, up to 20 s);
SIGHUP starts new workers one by one, each before its predecessor stops (a connection the stopping worker had
accepted but not yet read is closed unanswered: rare, README).
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from granian.constants import HTTPModes, Interfaces, RuntimeModes
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from pepy.infrastructure.logging import configure_logging
from pepy.infrastructure.settings import ConfigurationError, Settings, whole_number

WSGI_APP = "pepy.infrastructure.api.wsgi:app"
# How `pepy serve`, the benchmarks and the tests start this module.
COMMAND = (sys.executable, "-m", "pepy.infrastructure.api.server")
# Measured on 2 cores (README, Performance): 2 workers of 2 threads served 1.6 to 1.9 times the requests of 4 of 4,
# every run; more processes and threads than cores only contend for them.
DEFAULT_THREADS = 2
# A recycled worker starts with cold caches (answers, prepared statements, connections), so recycle rarely.
DEFAULT_WORKER_LIFETIME = 3600
# granian counts the request line and the headers against one buffer; over it, it answers 431 itself. 64 KiB lets
# every request the app's own caps refuse reach the app, whose answer says why.
REQUEST_HEAD_BYTES = 65536
# How long a worker told to stop may finish its requests before it is killed.
STOP_SECONDS = 20
# granian's own loggers, sent to the root logger's handler: one format for the whole process.
GRANIAN_LOGGING = {
    "formatters": {},
    "handlers": {},
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": True},
    },
}


def address(bind: str) -> tuple[str, int]:
    """PEPY_BIND's host and port: `host:port`, an IPv6 host in brackets."""
    host, _, port = bind.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"PEPY_BIND must be host:port, as 127.0.0.1:8080, not {bind!r}")
    return host.strip("[]"), int(port)


def default_workers() -> int:
    """One worker per core, and at least two: each worker listens on its own socket, so a lone worker's restart
    would refuse connections until its successor listens."""
    return max(2, multiprocessing.cpu_count())


def build_server(env: Mapping[str, str], log_level: str = "INFO") -> Server:
    """granian, configured from PEPY_BIND, PEPY_WORKERS, PEPY_THREADS and PEPY_WORKER_LIFETIME."""
    host, port = address(env.get("PEPY_BIND", "127.0.0.1:8080"))
    lifetime = whole_number(env, "PEPY_WORKER_LIFETIME", DEFAULT_WORKER_LIFETIME, 0)
    if 0 < lifetime < 60:
        raise ConfigurationError(f"PEPY_WORKER_LIFETIME must be 0 (never) or at least 60 seconds, not {lifetime}")
    return Server(
        WSGI_APP,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        http=HTTPModes.http1,
        # Each worker's Rust side on one thread (granian's default for WSGI is its multi-threaded runtime): fewer
        # hand-offs between threads per request, measured faster from one client and at 16 connections (README,
        # Performance, thirteenth session).
        runtime_mode=RuntimeModes.st,
        websockets=False,
        workers=whole_number(env, "PEPY_WORKERS", default_workers(), 1),
        # Threads let a worker overlap its database waits; each thread draws from the worker's pool.
        blocking_threads=whole_number(env, "PEPY_THREADS", DEFAULT_THREADS, 1),
        # An idle keep-alive connection, or a client slow to send its headers, is closed after 5 s.
        http1_settings=HTTP1Settings(header_read_timeout=5000, max_buffer_size=REQUEST_HEAD_BYTES),
        log_level=LogLevels(log_level.lower()),
        log_dictconfig=GRANIAN_LOGGING,
        respawn_failed_workers=True,
        workers_lifetime=lifetime or None,
        workers_kill_timeout=STOP_SECONDS,
    )


def metrics_folder(env: dict[str, str]) -> str:
    """The folder where every worker writes its metrics, so a scrape answered by any worker sums them all: the
    given PROMETHEUS_MULTIPROC_DIR, emptied (files of a previous run would be summed into this one's), or a new
    one."""
    folder = env.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pepy-metrics-")
    for stale in glob.glob(os.path.join(folder, "*.db")):
        os.remove(stale)
    return folder


def worker_pids(main_pid: int) -> set[int]:
    """The running server's worker processes: multiprocessing's spawned children of its main process, not its
    resource tracker (also a child, serving nothing)."""
    workers = set()
    for pid in Path(f"/proc/{main_pid}/task/{main_pid}/children").read_text().split():
        with contextlib.suppress(FileNotFoundError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.add(int(pid))
    return workers


def deliver_stop_signals_to_the_main_thread() -> None:
    """Make sure a worker's main thread acts on SIGINT and SIGTERM, in whichever of its threads they land.

    A granian worker's main thread waits on a lock for its stop signal, and Python runs a signal's handler only in
    the main thread, once it wakes. The kernel gives a signal to any thread of the process, and a worker has
    others (the Rust runtime's, the request threads): given to one of them, the signal left the main thread asleep,
    and the worker was killed 20 s later (in about half of the stops measured). Every signal Python catches is also
    written to a wakeup pipe, whichever thread took it: a thread reads the pipe and wakes the main thread with
    SIGUSR2, whose handler does nothing; waking, the main thread runs the handlers pending, the stop's included.
    Call from the main thread."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    signal.signal(signal.SIGUSR2, lambda *_: None)
    main_thread = threading.main_thread().ident

    def wake_the_main_thread() -> None:
        while True:
            if any(number != signal.SIGUSR2 for number in os.read(read_end, 64)):
                signal.pthread_kill(main_thread, signal.SIGUSR2)

    threading.Thread(target=wake_the_main_thread, name="pepy-signals", daemon=True).start()


def main() -> None:
    """Serve the API until told to stop."""
    settings = Settings.from_env()
    configure_logging(settings.env, settings.log_level)
    try:
        server = build_server(os.environ, settings.log_level)
    except ConfigurationError as error:
        # An exit with the message alone: a traceback would bury what was mistyped.
        raise SystemExit(str(error)) from None
    metrics_folder(os.environ)
    # Each worker a fresh interpreter: it imports the code on disk now, so a SIGHUP after a deploy serves the new
    # release, and nothing of this process (its threads, its imports) is forked into it.
    multiprocessing.set_start_method("spawn")
    server.serve()


if __name__ == "__main__":
    main()
