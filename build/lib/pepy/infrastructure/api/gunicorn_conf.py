"""gunicorn's configuration, the same for `make run` and production; PEPY_* variables tune it."""

import atexit
import gc
import glob
import multiprocessing
import os
import shutil
import tempfile

from gunicorn.http.message import MAX_REQUEST_LINE

from pepy.infrastructure.settings import ConfigurationError, whole_number


def _whole_number(name: str, default: int, minimum: int) -> int:
    # An exit with the message alone: gunicorn's traceback would bury what was mistyped.
    try:
        return whole_number(os.environ, name, default, minimum)
    except ConfigurationError as error:
        raise SystemExit(str(error)) from None


bind = os.environ.get("PEPY_BIND", "127.0.0.1:8080")
workers = _whole_number("PEPY_WORKERS", multiprocessing.cpu_count() * 2, 1)
# Threads let a worker overlap its database waits; each thread draws from the worker's pool. The worker is gthread,
# answering in the API's JSON the requests gunicorn refuses itself.
worker_class = "pepy.infrastructure.api.worker.ApiWorker"
threads = _whole_number("PEPY_THREADS", 4, 1)
# The longest request line gunicorn reads (its default is 4094), so long names and `versions=` lists reach the app,
# whose caps answer them with a reason.
limit_request_line = MAX_REQUEST_LINE
# Load the app once in the master, so a configuration error stops start-up instead of every worker.
preload_app = True
# gunicorn's control socket sits at one path per user, so two servers (tests, benchmarks) would contend for it.
control_socket_disable = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# A recycled worker starts with cold caches (answers, prepared statements, connections), so recycle rarely: at
# 1,000 req/s over 4 workers, every 7 minutes or so. 0 never recycles.
max_requests = _whole_number("PEPY_MAX_REQUESTS", 100_000, 0)
max_requests_jitter = max_requests // 10
errorlog = "-"
wsgi_app = "pepy.infrastructure.api.wsgi:app"

# Workers write their metrics to files in this folder, so a scrape answered by any worker sums them all.
# Set here, not in on_starting, because preload_app loads the app (and prometheus_client) before that hook.
# A reload (HUP) runs this file again with the variable set, hence the marker of who created the folder.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ["PEPY_OWN_METRICS_DIR"] = tempfile.mkdtemp(
        prefix="pepy-metrics-"
    )


def on_starting(server):
    """Start from no metrics: files left by a previous run would be summed into this one's."""
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def pre_fork(server, worker):
    """Freeze what the preloaded app created, so a worker's full garbage collections skip it."""
    # The app's modules are ~100,000 objects; scanning them took 122-315 ms per full collection under load,
    # a pause for every thread of the worker. Frozen, a full collection scans only the worker's own objects.
    gc.freeze()


# Frozen objects are never freed, and at exit DuckDB's extension counts its still-living types and prints dozens of
# "nanobind: leaked" lines per process; thawed before the interpreter's last collection, they are freed. Registered
# here, in the master, so that every forked worker runs it too.
atexit.register(gc.unfreeze)


def child_exit(server, worker):
    """Drop a dead worker's live gauges; its counters stay, so totals survive worker restarts."""
    # Imported late: imported before the folder is set, prometheus_client would stay in single-process mode.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this configuration created."""
    if os.environ.get("PEPY_OWN_METRICS_DIR") == os.environ["PROMETHEUS_MULTIPROC_DIR"]:
        shutil.rmtree(os.environ["PEPY_OWN_METRICS_DIR"], ignore_errors=True)
