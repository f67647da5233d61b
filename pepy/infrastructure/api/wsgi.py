"""The WSGI entry point each server worker loads: configuration is read and checked here, at start-up."""

import atexit
import gc
import os

from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.server import deliver_stop_signals_to_the_main_thread
from pepy.infrastructure.container import build_container
from pepy.infrastructure.logging import configure_logging
from pepy.infrastructure.settings import Settings

settings = Settings.from_env()
configure_logging(settings.env, settings.log_level)
if not settings.database_url:
    raise SystemExit("PEPY_DATABASE_URL is not set: start the API with `pepy serve`, which provides a local database")
app = create_app(build_container(settings))
# granian copies the process's environment into every request's WSGI environ: read once above, the database URLs and
# their passwords leave it, so no request (and nothing that logs one) carries them.
for secret in ("PEPY_DATABASE_URL", "PEPY_READ_DATABASE_URL"):
    os.environ.pop(secret, None)

# What start-up created (the modules, the app: about 100,000 objects) lives as long as the worker. Scanned by every
# full collection, it took 122-315 ms each under load, a pause for all of the worker's threads; frozen, a collection
# scans only what requests leave behind.
gc.freeze()
# Frozen objects are never freed, and at exit DuckDB's extension counts its still-living types and prints dozens of
# "nanobind: leaked" lines per process; thawed before the interpreter's last collection, they are freed.
atexit.register(gc.unfreeze)
deliver_stop_signals_to_the_main_thread()
