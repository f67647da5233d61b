"""gunicorn's configuration, the same for `make run` and production; PEPY_* variables tune it."""

import multiprocessing
import os

bind = os.environ.get("PEPY_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("PEPY_WORKERS", multiprocessing.cpu_count() * 2))
# Threads let a worker overlap its database waits; each thread draws from the worker's pool.
worker_class = "gthread"
threads = int(os.environ.get("PEPY_THREADS", 4))
# Load the app once in the master, so a configuration error stops start-up instead of every worker.
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-" if os.environ.get("PEPY_ACCESS_LOG", "0") == "1" else None
errorlog = "-"
wsgi_app = "pepy.infrastructure.api.wsgi:app"
