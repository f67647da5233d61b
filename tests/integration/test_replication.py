"""A hot standby of a throwaway primary: the harness, the replica's lag, and a read the standby cancels for a
conflict with its recovery, run again."""

from __future__ import annotations

import logging
import threading
import time

import psycopg2
import pytest

from pepy.domain.errors import DatabaseUnavailable
from pepy.domain.read_models import ReplicaLag
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.replication import PostgresReplication

PARTITION = "version_downloads_20261120"
# Holds a lock on every day partition for half a second: what a read in the way of an import's swap does.
SLOW_READ = "SELECT n, pg_sleep(0.5) FROM (SELECT count(*) AS n FROM version_downloads) c"


def execute(url: str, *statements: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.close()


def lag(url: str) -> ReplicaLag:
    pool = ConnectionPool(url, max_connections=1, autocommit=True)
    try:
        return PostgresReplication(pool).lag()
    finally:
        pool.close()


def test_the_standby_replays_what_the_primary_commits_and_refuses_writes(replica):
    execute(replica.primary.url, "INSERT INTO projects (name) VALUES ('demo-pkg')")
    replica.wait_for_replay()

    conn = psycopg2.connect(replica.standby.url)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery(), (SELECT name FROM projects)")
        assert cur.fetchone() == (True, "demo-pkg")
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("INSERT INTO projects (name) VALUES ('other')")
    conn.close()


def test_the_lag_counts_what_the_standby_received_and_has_not_replayed_and_is_nothing_on_a_primary(replica):
    assert lag(replica.primary.url) == ReplicaLag(is_replica=False, seconds=0.0, bytes=0)
    assert lag(replica.standby.url) == ReplicaLag(is_replica=True, seconds=0.0, bytes=0)

    replica.pause_replay()
    execute(replica.primary.url, "INSERT INTO projects (name) SELECT 'p' || n FROM generate_series(1, 1000) n")
    deadline = time.monotonic() + 10
    while (behind := lag(replica.standby.url)).bytes == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert behind.is_replica and behind.bytes > 0 and behind.seconds > 0

    replica.resume_replay()
    replica.wait_for_replay()
    assert lag(replica.standby.url) == ReplicaLag(is_replica=True, seconds=0.0, bytes=0)


def read_while_a_partition_is_dropped(replica, retries: int):
    """SLOW_READ on the standby through a read pool with the retries, while the primary drops a day partition."""
    execute(
        replica.primary.url,
        f"CREATE TABLE {PARTITION} PARTITION OF version_downloads FOR VALUES FROM ('2026-11-20') TO ('2026-11-21')",
    )
    replica.wait_for_replay()
    pool = ConnectionPool(replica.standby.url, max_connections=1, autocommit=True, recovery_conflict_retries=retries)
    dropper = threading.Timer(0.2, execute, (replica.primary.url, f"DROP TABLE {PARTITION}"))
    dropper.start()
    try:
        with pool.connection() as conn, conn.cursor() as cur:
            cur.execute(SLOW_READ)
            return cur.fetchone()[0]
    finally:
        dropper.join()
        pool.close()


def test_a_read_the_standby_cancels_for_a_conflict_with_its_recovery_is_run_again(replica, caplog):
    # The standby cancels a read in the way of replay after 10 ms, so the conflict is certain.
    replica.configure_standby(max_standby_streaming_delay="10ms")
    caplog.set_level(logging.INFO, logger="pepy.infrastructure.postgres.pool")

    assert read_while_a_partition_is_dropped(replica, retries=2) == 0
    assert "read run again after a conflict with the replica's recovery" in caplog.text
    with pytest.raises(DatabaseUnavailable, match="conflict with recovery"):
        read_while_a_partition_is_dropped(replica, retries=0)


def test_retries_are_refused_where_a_statement_is_not_its_own_transaction():
    with pytest.raises(ValueError, match="only a statement that is its own transaction can be run again"):
        ConnectionPool("postgresql://nowhere/pepy", recovery_conflict_retries=1)
