"""The API's server with the deployed configuration, started for a test against its database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message

from pepy.infrastructure.api.server import COMMAND
from pepy.infrastructure.postgres.embedded import free_port


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """Status, headers (looked up in any case) and body of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def listening_sockets(port: int) -> int:
    """How many sockets listen on the port of 127.0.0.1 (the kernel's table of IPv4 TCP sockets)."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.read().splitlines()[1:]]
    # Local address as HEX_IP:HEX_PORT; state 0A is LISTEN.
    return sum(1 for row in rows if int(row[1].split(":")[1], 16) == port and row[3] == "0A")


def _answers(server) -> bool:
    try:
        return get(f"{server.base}/health-check")[0] == 200
    except OSError:
        return False


@contextlib.contextmanager
def api_server(
    database_url: str, folder, workers: int = 1, stderr=subprocess.DEVNULL, **environment: str
) -> Iterator[subprocess.Popen]:
    """A running server (its process is yielded; its URL is `.base`), stopped when the block ends; `stderr` is where
    its logs go; its metrics are written under `folder`."""
    port = free_port()
    env = {
        **os.environ,
        "PEPY_ENV": "test",
        "PEPY_DATABASE_URL": database_url,
        "PEPY_BIND": f"127.0.0.1:{port}",
        "PEPY_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="metrics-", dir=folder),
        **environment,
    }
    server = subprocess.Popen(
        COMMAND,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    server.base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        # Each worker listens on a socket of its own, bound once it has started: until every one has, connections
        # go to those that have, and a test of how requests spread over the workers would see fewer of them.
        while listening_sockets(port) < workers or not _answers(server):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server and its {workers} workers did not answer within 30 s")
            time.sleep(0.1)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
