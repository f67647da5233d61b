"""What bench-replica watches on the standby while it serves: how far its replay is behind, and what its readers
wait on."""

from __future__ import annotations

import threading
from collections import Counter

import psycopg2

from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.replication import PostgresReplication

# Each of the API's sessions running a statement: the wait it is in, or CPU when it is in none. Sessions idle between
# statements are left out, and so are those already waiting for the next one (ClientRead), which a session that has
# just answered shows before its state says idle: a read takes a fraction of a millisecond, so they are many.
_READER_STATES = """
SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
WHERE state = 'active' AND application_name = 'pepy' AND wait_event IS DISTINCT FROM 'ClientRead'
"""


class _Sampler:
    """Calls `_sample` every `interval` seconds in a thread of its own until `stop`."""

    def __init__(self, interval: float):
        self._interval = interval
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._sample()

    def _sample(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


class LagSampler(_Sampler):
    """The standby's largest replay lag (seconds, bytes) since the last `take`, sampled twice a second."""

    def __init__(self, url: str):
        super().__init__(0.5)
        self._pool = ConnectionPool(url, max_connections=1, autocommit=True)
        self._replication = PostgresReplication(self._pool)
        self._largest = (0.0, 0)

    def _sample(self) -> None:
        lag = self._replication.lag()
        with self._lock:
            self._largest = (max(self._largest[0], lag.seconds), max(self._largest[1], lag.bytes))

    def take(self) -> tuple[float, int]:
        """The largest lag since the last call."""
        with self._lock:
            largest, self._largest = self._largest, (0.0, 0)
        return largest

    def stop(self) -> None:
        super().stop()
        self._pool.close()


class ReaderWaits(_Sampler):
    """What the standby's readers were doing, sampled every 20 ms: counts of "CPU" (running) and of each wait event
    (such as IO:DataFileWrite, a reader writing out a page replay dirtied before it can reuse the buffer)."""

    def __init__(self, url: str):
        super().__init__(0.02)
        self._conn = psycopg2.connect(url)
        self._conn.autocommit = True
        self._counts: Counter[str] = Counter()

    def _sample(self) -> None:
        with self._conn.cursor() as cur:
            cur.execute(_READER_STATES)
            found = Counter(state for (state,) in cur)
        with self._lock:
            self._counts += found

    def take(self) -> Counter[str]:
        """The counts since the last call."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return counts

    def stop(self) -> None:
        super().stop()
        self._conn.close()


def shares(counts: Counter[str], top: int = 4) -> str:
    """The most frequent states as shares of all samples: "CPU 71%, IO:DataFileRead 12%, ..."."""
    total = sum(counts.values())
    if not total:
        return "no reader seen running"
    return ", ".join(f"{state} {count / total:.0%}" for state, count in counts.most_common(top))
