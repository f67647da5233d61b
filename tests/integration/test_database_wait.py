"""Commands wait for a database that is not up yet, and give up at once on one that refuses them for good.

Each command runs as `pepy` does in a container, in a process of its own, against a throwaway server with password
logins (as the official image sets one up) that starts when the test says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest

from pepy.infrastructure.postgres.embedded import EmbeddedPostgres, free_port

PASSWORD = "right-horse-battery"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def password_server():
    """A stopped server whose database `pepy` belongs to the role `pepy`, which logs in over TCP with a password."""
    folder = Path(tempfile.mkdtemp(prefix="pepy-wait-pg-"))
    server = EmbeddedPostgres(folder, durable=False)
    server.start()
    conn = psycopg2.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE ROLE pepy LOGIN PASSWORD '{PASSWORD}'")
        cur.execute("ALTER DATABASE pepy OWNER TO pepy")
    conn.close()
    # The harness's own role keeps trust, so that EmbeddedPostgres can start the server again.
    (server.data / "pg_hba.conf").write_text(
        "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
    )
    server.stop()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def url(port: int, password: str = PASSWORD, database: str = "pepy") -> str:
    return f"postgresql://pepy:{password}@127.0.0.1:{port}/{database}"


def pepy(database_url: str, wait_seconds: int, *args: str, stderr=subprocess.PIPE) -> subprocess.Popen:
    """`pepy ARGS` started in a process of its own, its output captured (stderr where told)."""
    env = {
        **os.environ,
        "PEPY_ENV": "test",
        "PEPY_DATABASE_URL": database_url,
        "PEPY_DATABASE_WAIT_SECONDS": str(wait_seconds),
        "PEPY_SOURCE": "files",
    }
    env.pop("PEPY_READ_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "pepy", *args], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
    )


def test_db_upgrade_waits_for_a_server_that_starts_late_and_says_so(password_server, tmp_path):
    log = tmp_path / "stderr"
    with log.open("w") as stderr:
        upgrade = pepy(url(password_server.port), 60, "db", "upgrade", stderr=stderr)
    deadline = time.monotonic() + 30
    while "waiting for the database" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    # Long enough for two more attempts, however loaded the machine.
    time.sleep(2)
    assert upgrade.poll() is None, "the upgrade waits instead of failing"
    password_server.start()
    try:
        out, _ = upgrade.communicate(timeout=120)
    finally:
        password_server.stop()
    err = log.read_text()
    assert upgrade.returncode == 0, err
    assert out.startswith("Applied ") and "0001" in out
    where = f"database=pepy@127.0.0.1:{password_server.port}/pepy"
    waits = [line for line in err.splitlines() if "waiting for the database" in line]
    assert len(waits) >= 3, err
    assert where in waits[0] and "attempt=1 next_delay_s=" in waits[0] and "Connection refused" in waits[0]
    assert f"the database answered {where} attempt={len(waits) + 1} waited_s=" in err
    assert PASSWORD not in err


@pytest.mark.parametrize(
    "command",
    [
        ("db", "upgrade"),
        ("serve",),
        ("import", "daily"),
    ],
    ids=["db upgrade", "serve", "the scheduler's import daily"],
)
def test_a_port_nobody_listens_on_fails_after_the_wait_with_a_clear_message(command):
    port = free_port()
    started = time.monotonic()
    run = pepy(url(port), 2, *command)
    out, err = run.communicate(timeout=60)
    elapsed = time.monotonic() - started
    assert run.returncode == 1
    assert 2 <= elapsed < 10
    last = err.strip().splitlines()[-1]
    assert last.startswith(
        f"Error: The database is unavailable: pepy@127.0.0.1:{port}/pepy did not accept a connection within 2 s ("
    )
    assert last.endswith("Connection refused Is the server running on that host and accepting TCP/IP connections?")
    assert "Traceback" not in err and "Serving on" not in err and PASSWORD not in err
    assert out == ""


@pytest.mark.parametrize(
    ("password", "database", "reason"),
    [
        ("wrong-password", "pepy", 'password authentication failed for user "pepy"'),
        (PASSWORD, "no_such_database", 'database "no_such_database" does not exist'),
    ],
)
def test_a_refusal_that_waiting_cannot_change_fails_at_once(password_server, password, database, reason):
    password_server.start()
    try:
        started = time.monotonic()
        run = pepy(url(password_server.port, password, database), 60, "db", "upgrade")
        _, err = run.communicate(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        password_server.stop()
    assert run.returncode == 1
    assert elapsed < 10, "no waiting"
    assert err.strip().splitlines()[-1] == (
        f"Error: The database is unavailable: pepy@127.0.0.1:{password_server.port}/{database} refused the "
        f'connection, and waiting would not help: connection to server at "127.0.0.1", port {password_server.port} '
        f"failed: FATAL: {reason}"
    )
    assert "waiting for the database" not in err and password not in err
