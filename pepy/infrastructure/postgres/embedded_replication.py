"""A throwaway primary and a hot standby streaming from it, started from the machine's PostgreSQL binaries: what
the tests and the replica benchmark serve the API from, since a shared server cannot be reconfigured for
replication."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import psycopg2

from pepy.infrastructure.postgres.embedded import EmbeddedPostgres, EmbeddedPostgresError

# The WAL settings of pepy's primary in production (ansible's pepy.conf.j2), since what a day's import writes is
# what a standby replays: checkpoints spread over an import rather than one a GB (after each, a page's first change
# writes the whole page), and those full pages compressed.
PRODUCTION_WAL_SETTINGS = {"max_wal_size": "4GB", "checkpoint_timeout": "15min", "wal_compression": "zstd"}
# What a primary needs to stream to a standby (PostgreSQL's defaults, stated so that a changed default cannot break
# the harness), and commits written out as they happen, since a standby receives only what was: without it (a
# throwaway server's setting) a commit could wait for the WAL writer's next full page.
PRIMARY_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "4",
    "max_replication_slots": "4",
    "synchronous_commit": "on",
    **PRODUCTION_WAL_SETTINGS,
}
# What the README recommends for a standby pepy reads from (see its runbook, "Add a replica"), measured by
# `make bench-replica`.
RECOMMENDED_STANDBY_SETTINGS = {"hot_standby_feedback": "on", "max_standby_streaming_delay": "30s"}
# The standby's replication slot on the primary: WAL is kept until the standby has it, however far an import
# runs ahead.
SLOT = "pepy_standby"
_REPLICATION_ENTRY = "\n# pepy's standby streams from here.\nhost replication postgres 127.0.0.1/32 trust\n"


class ReplicatedPostgres:
    """A primary in `folder`/primary and a hot standby in `folder`/standby, both on 127.0.0.1 only.

    `standby_settings` are the standby's own (hot_standby_feedback, max_standby_streaming_delay, ...), kept in
    its postgresql.auto.conf so that `configure_standby` can change them; without `durable`, neither server syncs
    to disk (tests and benchmarks throw them away).
    """

    def __init__(self, folder: Path, standby_settings: Mapping[str, str] | None = None, durable: bool = False):
        self.folder = Path(folder)
        self.primary = EmbeddedPostgres(self.folder / "primary", durable=durable, settings=PRIMARY_SETTINGS)
        # A standby whose primary went away tries again every 5 s by default: a restarted primary is found sooner.
        self.standby = EmbeddedPostgres(
            self.folder / "standby",
            durable=durable,
            settings={"hot_standby": "on", "wal_retrieve_retry_interval": "200ms"},
        )
        self._standby_settings = dict(standby_settings or {})

    def start(self) -> tuple[str, str]:
        """Start the primary, clone it into a standby that streams from it, wait until the standby has replayed
        everything; returns the URLs of the primary's and the standby's pepy database."""
        # Both servers' folders are inside this one, which the user they run as must be able to enter.
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.primary.initialize()
        with (self.primary.data / "pg_hba.conf").open("a") as hba:
            hba.write(_REPLICATION_ENTRY)
        self.primary.start()
        self.standby.make_folder()
        # -R writes standby.signal and the primary's address into the copy; -C -S make the slot.
        self.standby.run(
            "pg_basebackup",
            "--dbname", f"host=127.0.0.1 port={self.primary.port} user=postgres",
            "--pgdata", str(self.standby.data),
            "--write-recovery-conf", "--create-slot", "--slot", SLOT,
            "--wal-method", "stream", "--checkpoint", "fast", "--no-sync",
        )  # fmt: skip
        with (self.standby.data / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{name} = '{value}'\n" for name, value in self._standby_settings.items())
        try:
            self.standby.start()
            self.wait_for_replay()
        except BaseException:
            self.stop()
            raise
        return self.primary.url, self.standby.url

    def wait_for_replay(self, timeout: float = 60) -> None:
        """Return once the standby has replayed everything the primary had written when called."""
        target = _query(self.primary.url, "SELECT pg_current_wal_flush_lsn()")
        deadline = time.monotonic() + timeout
        while True:
            behind = _query(self.standby.url, "SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn())", (target,))
            if behind is not None and behind <= 0:
                return
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(f"the standby was still {behind} bytes behind after {timeout:g} s")
            time.sleep(0.02)

    def configure_standby(self, **settings: str) -> None:
        """Change settings of the running standby (those a reload applies); returns once new sessions have them."""
        loaded = _query(self.standby.url, "SELECT pg_conf_load_time()")
        conn = psycopg2.connect(self.standby.url, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for name, value in settings.items():
                    cur.execute(f"ALTER SYSTEM SET {name} = %s", (value,))
                cur.execute("SELECT pg_reload_conf()")
        finally:
            conn.close()
        # The postmaster signals its children as it reloads: a session started after has the new settings.
        while _query(self.standby.url, "SELECT pg_conf_load_time()") <= loaded:
            time.sleep(0.02)

    def pause_replay(self) -> None:
        """Stop the standby's replay where it is (it goes on receiving WAL)."""
        _query(self.standby.url, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        """Resume the standby's replay."""
        _query(self.standby.url, "SELECT pg_wal_replay_resume()")

    def stop(self) -> None:
        """Stop the standby, then the primary; their folders stay."""
        try:
            self.standby.stop()
        finally:
            self.primary.stop()

    def remove(self) -> None:
        """Stop both servers and delete their folders."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _query(url: str, statement: str, parameters: tuple = ()):
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement, parameters)
            return cur.fetchone()[0]
    finally:
        conn.close()
