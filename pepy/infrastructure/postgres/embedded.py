"""A private PostgreSQL server in a folder, started from the machine's PostgreSQL binaries.

`make run` keeps one under ./.pepy/ when PEPY_DATABASE_URL is unset (or, as root when the postgres user cannot
reach that, under /var/tmp); the test harness starts a throwaway one when no server answers.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import os
import pwd
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import psycopg2

from pepy.domain.errors import DatabaseUnavailable
from pepy.infrastructure.postgres.wait import wait_for_database

DATABASE = "pepy"
# Where a server whose folder the postgres user cannot reach keeps its files instead: kept across reboots, unlike
# /tmp, and reachable by every user.
SHARED_PARENT = Path("/var/tmp")
log = logging.getLogger(__name__)


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


def server_folder(folder: Path) -> Path:
    """The folder the server for `folder` keeps its files in: `folder` itself, unless this process is root and
    the postgres user, which the server then runs as, cannot reach it. Then it is a folder of its own under
    /var/tmp, named after `folder`'s absolute path (the same one at every start), created 0700 for postgres."""
    folder = Path(folder).resolve()
    if os.geteuid() != 0:
        return folder
    try:
        postgres_uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        raise EmbeddedPostgresError(
            "As root, the embedded server runs as the postgres user, and there is none: install PostgreSQL "
            "(Debian: apt-get install postgresql) or set PEPY_DATABASE_URL to a running server"
        ) from None
    if _postgres_can_enter(folder.parent):
        return folder
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    shared = SHARED_PARENT / f"pepy-postgres-{digest}"
    with contextlib.suppress(FileExistsError):
        shared.mkdir(mode=0o700)
    # The name is predictable in a folder everyone writes to: a folder planted there by another user, or a
    # symbolic link, must not be handed to postgres.
    info = shared.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (0, postgres_uid):
        raise EmbeddedPostgresError(
            f"{shared} exists and is not pepy's: remove it, or set PEPY_DATA_DIR to a folder the postgres user "
            "can reach"
        )
    shared.chmod(0o700)
    return shared


def _postgres_can_enter(folder: Path) -> bool:
    # The folders not made yet will be made by root, reachable under its usual umask (022): the nearest existing
    # one decides.
    existing = next(f for f in (folder, *folder.parents) if f.exists())
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(existing)]).returncode == 0


class EmbeddedPostgres:
    """A PostgreSQL server owned by this process, in `folder`, listening on 127.0.0.1 only."""

    def __init__(
        self, folder: Path, port: int | None = None, durable: bool = True, settings: Mapping[str, str] | None = None
    ):
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.port = port or free_port()
        self._durable = durable
        self._settings = dict(settings or {})
        self._bin = find_bin_dir()
        # initdb refuses to run as root, so as root the server runs as the postgres user.
        self._run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        """The URL of the server's pepy database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        """Run one of PostgreSQL's programs (initdb, pg_ctl, pg_basebackup, ...) as the server's user."""
        result = subprocess.run([*self._run_as, str(self._bin / tool), *args], capture_output=True, text=True, cwd="/")
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"{tool} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def make_folder(self) -> None:
        """Create the server's folder, owned by the user the server runs as."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._run_as:
            shutil.chown(self.folder, "postgres", "postgres")

    def initialize(self) -> None:
        """Create the folder and the cluster, unless they exist."""
        self.make_folder()
        if not (self.data / "PG_VERSION").exists():
            self.run(
                "initdb",
                "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale",
            )  # fmt: skip

    def start(self) -> str:
        """Create the cluster if needed, start it, create the database; returns its URL."""
        self.initialize()
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        if not self._durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options += "".join(f" -c {name}={value}" for name, value in self._settings.items())
        log = self.folder / "server.log"
        try:
            self.run("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        except EmbeddedPostgresError as error:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            raise EmbeddedPostgresError("\n".join([str(error), *tail])) from None
        self._create_database()
        return self.url

    def _create_database(self) -> None:
        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        try:
            wait_for_database(admin, 30, log)
        except DatabaseUnavailable as error:
            raise EmbeddedPostgresError(str(error)) from None
        conn = psycopg2.connect(admin)
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
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


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
