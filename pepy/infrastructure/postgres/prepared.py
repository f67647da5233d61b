"""Server-side prepared statements for the statements every request runs."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from datetime import date


class PreparedStatements:
    """Server-side prepared statements, per connection, run with their generic plan.

    Planning a read over partitioned tables can cost more than executing it, and even a one-row upsert's parse and
    plan cost as much as its execution; a prepared statement is parsed and planned once per connection. A read's
    window days are constants of the statement's text (so the plan holds only their partitions), which makes one
    statement per window: a handful per day. Past the bound, the statement used longest ago is dropped, so windows a
    client chose (pypistats' start_date and end_date) never push out the statements every request runs.
    """

    MAX_PER_CONNECTION = 16

    def __init__(self):
        # Per connection, its statements' names from the least to the most recently run.
        self._names: dict[tuple[int, int], OrderedDict[str, None]] = {}
        self._lock = threading.Lock()

    def execute(self, cur, text: str, parameter_types: tuple[str, ...], parameters: tuple) -> None:
        """Run the statement, preparing it on this connection first if needed."""
        conn = cur.connection
        key = (id(conn), conn.info.backend_pid)
        name = _statement_name(text)
        with self._lock:
            prepared = self._names.setdefault(key, OrderedDict())
        # A connection serves one thread at a time, so its own names need no lock.
        if name in prepared:
            prepared.move_to_end(name)
        else:
            # A pooled connection outlives this object: it may hold the statement from an earlier one.
            cur.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", (name,))
            if cur.fetchone() is None:
                # A while, not an if: statements found already prepared join the count without evicting any.
                while len(prepared) >= self.MAX_PER_CONNECTION:
                    least_recent, _ = prepared.popitem(last=False)
                    cur.execute(f"DEALLOCATE {least_recent}")
                # Generic plans: these statements' cost does not depend on the project or client asked for.
                cur.execute("SET plan_cache_mode = force_generic_plan")
                cur.execute(f"PREPARE {name} ({', '.join(parameter_types)}) AS {text}")
            prepared[name] = None
        placeholders = ", ".join(["%s"] * len(parameters))
        cur.execute(f"EXECUTE {name} ({placeholders})", parameters)


@functools.lru_cache(maxsize=256)
def _statement_name(text: str) -> str:
    # Every request runs one of a few statements: hashing a kilobyte of text each time cost more than the lookup.
    return "pepy_" + hashlib.sha1(text.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def in_range(statement: str, start: date, end: date) -> str:
    """The statement with its range's days as constants (`$start`, `$end`), so that its plan holds only their
    partitions."""
    return statement.replace("$start", f"'{start.isoformat()}'::date").replace("$end", f"'{end.isoformat()}'::date")
