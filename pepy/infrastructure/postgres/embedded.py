"""A private PostgreSQL server in a folder, started from the machine's PostgreSQL binaries.

`make run` keeps one under ./.pepy/ when PEPY_DATABASE_URL is unset; the test harness starts a throwaway
one when no server answers.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2

DATABASE = "pepy"


class EmbeddedPostgresError(RuntimeError):
    """The private server could not be set up or started."""


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: pg_config's bindir, Debian's layout, or the PATH."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise EmbeddedPostgresError(
        "No PostgreSQL server binaries (initdb, pg_ctl) were found; install PostgreSQL "
        "(Debian: apt-get install postgresql) or set PEPY_DATABASE_URL to a running server"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedPostgres:
    """A PostgreSQL server owned by this process, in `folder`, listening on 127.0.0.1 only."""

    def __init__(self, folder: Path, port: int | None = None, durable: bool = True):
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.port = port or free_port()
        self._durable = durable
        self._bin = find_bin_dir()
        # initdb refuses to run as root, so as root the server runs as the postgres user.
        self._run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        """The URL of the server's pepy database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*self._run_as, *args], capture_output=True, text=True, cwd="/")
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}"
            )
        return result

    def start(self) -> str:
        """Create the cluster if needed, start it, create the database; returns its URL."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._run_as:
            shutil.chown(self.folder, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(self._bin / "initdb"),
                "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale",
            )  # fmt: skip
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        if not self._durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.folder / "server.log"
        try:
            pg_ctl = str(self._bin / "pg_ctl")
            self._run(pg_ctl, "-D", str(self.data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        except EmbeddedPostgresError as error:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            raise EmbeddedPostgresError("\n".join([str(error), *tail])) from None
        self._create_database()
        return self.url

    def _create_database(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE DATABASE {DATABASE}")
        conn.close()

    def is_running(self) -> bool:
        """Whether a server answers on this folder's port."""
        try:
            psycopg2.connect(
                host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", connect_timeout=2
            ).close()
            return True
        except psycopg2.OperationalError:
            return False

    def stop(self) -> None:
        """Stop the server quickly and cleanly; the data folder stays."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextlib.contextmanager
def local_database(folder: Path, port: int) -> Iterator[str]:
    """The URL of the private server in `folder`: reused if running, else started here and stopped after."""
    server = EmbeddedPostgres(folder, port=port)
    if server.is_running():
        yield server.url
        return
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
