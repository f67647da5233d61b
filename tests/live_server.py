"""gunicorn with the deployed configuration, started for a test against its database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from pepy.infrastructure.postgres.embedded import free_port


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """Status, headers and body of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@contextlib.contextmanager
def gunicorn(
    database_url: str, folder, workers: int = 1, stderr=subprocess.DEVNULL, **environment: str
) -> Iterator[subprocess.Popen]:
    """A running gunicorn (its process is yielded; its URL is `.base`), stopped when the block ends; `stderr` is
    where its logs go."""
    port = free_port()
    env = {
        **os.environ,
        "PEPY_ENV": "test",
        "PEPY_DATABASE_URL": database_url,
        "PEPY_BIND": f"127.0.0.1:{port}",
        "PEPY_WORKERS": str(workers),
        "XDG_RUNTIME_DIR": str(folder),
        **environment,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:pepy.infrastructure.api.gunicorn_conf"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    server.base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(f"{server.base}/health-check")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not answer within 30 s")
            time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
