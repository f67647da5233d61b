"""Where the read side's database stands in replication, from PostgreSQL's own functions."""

from __future__ import annotations

from pepy.domain.ports import Replication
from pepy.domain.read_models import ReplicaLag
from pepy.infrastructure.postgres.pool import ConnectionPool

# Behind while WAL it received waits to be replayed; then by the time since the last transaction it replayed (or,
# none yet, since it started). On a primary the functions of recovery answer NULL.
_LAG = """
WITH position AS (
    SELECT pg_is_in_recovery() AS is_replica,
           greatest(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0) AS bytes
)
SELECT is_replica, coalesce(bytes, 0)::bigint,
       CASE WHEN bytes > 0 THEN greatest(extract(epoch FROM now() - coalesce(pg_last_xact_replay_timestamp(),
                                                                             pg_postmaster_start_time())), 0)
            ELSE 0 END::float8
FROM position
"""


class PostgresReplication(Replication):
    """Replication over the pool it is given: the read pool, so the lag is the replica's that requests read."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    def lag(self) -> ReplicaLag:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(_LAG)
            is_replica, behind, seconds = cur.fetchone()
        return ReplicaLag(is_replica, seconds, behind)
