"""Waiting for PostgreSQL at start-up: the one retry policy every command uses before it needs the database.

A server that is not up yet refuses connections, is not in DNS yet, says it is starting up, or does not answer
in time: each is retried with exponential, jittered, capped delays until a deadline. A refusal that waiting cannot
change (a wrong password, a missing database or role, a malformed URL) fails at once.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable

import psycopg2
import psycopg2.extensions

from pepy.domain.errors import DatabaseUnavailable

FIRST_DELAY_S = 0.5
LONGEST_DELAY_S = 2.0
# What the server or libpq says when waiting would not help. Anything else is retried: a refusal wrongly retried
# costs the wait and is logged at every attempt, while one wrongly taken as final is the restart loop this avoids.
# (A server's first start creates its database and roles before it listens on TCP, so over TCP a missing one is
# missing for good.)
FINAL_REASONS = ("authentication failed", "no pg_hba.conf entry", "does not exist", "no password supplied")
# libpq's words for a connection option it refuses before connecting (a port that is not a number, say).
MALFORMED_OPTION = ("invalid ", "missing ")
# libpq counts a connect timeout under 2 s as 2 s.
SHORTEST_CONNECT_TIMEOUT_S = 2
LONGEST_CONNECT_TIMEOUT_S = 5


def retry_delay(attempt: int, jitter: float) -> float:
    """The pause after failed attempt `attempt` (1, 2, ...): between half and all of
    min(LONGEST_DELAY_S, FIRST_DELAY_S * 2**(attempt-1)), placed by `jitter` (uniform in [0, 1)), so that processes
    started together do not retry in step."""
    # Past the cap more doublings change nothing, and thousands of them would overflow a float.
    ceiling = min(LONGEST_DELAY_S, FIRST_DELAY_S * 2 ** min(attempt - 1, 30))
    return ceiling / 2 * (1 + jitter)


def describe(url: str) -> str:
    """user@host:port/database of a URL, never its password."""
    try:
        params = psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError:
        # libpq's message may quote the URL, password and all.
        raise DatabaseUnavailable("the database URL is malformed (not repeated here: it may hold a password)") from None
    user = f"{params['user']}@" if params.get("user") else ""
    return f"{user}{params.get('host') or 'localhost'}:{params.get('port') or 5432}/{params.get('dbname') or ''}"


def is_final(reason: str) -> bool:
    """Whether a connection error is one that waiting would not change."""
    lowered = reason.lower()
    return lowered.startswith(MALFORMED_OPTION) or any(final in lowered for final in FINAL_REASONS)


def wait_for_database(
    url: str,
    seconds: float,
    log: logging.Logger,
    *,
    connect: Callable = psycopg2.connect,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> None:
    """Return once the server at `url` accepts a connection, retrying for up to `seconds` (0: a single attempt)
    and logging each failed attempt; raise DatabaseUnavailable when time is up, or at once when waiting would not
    help."""
    where = describe(url)
    started = clock()
    deadline = started + seconds
    attempt = 0
    while True:
        attempt += 1
        timeout = max(SHORTEST_CONNECT_TIMEOUT_S, min(LONGEST_CONNECT_TIMEOUT_S, math.ceil(deadline - clock())))
        try:
            connect(url, connect_timeout=timeout).close()
        except psycopg2.Error as error:
            reason = " ".join(str(error).split())
            if is_final(reason):
                raise DatabaseUnavailable(
                    f"{where} refused the connection, and waiting would not help: {reason}"
                ) from None
            left = deadline - clock()
            if left <= 0:
                tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
                raise DatabaseUnavailable(
                    f"{where} did not accept a connection within {seconds:g} s ({tries}); the last error: {reason}"
                ) from None
            delay = min(retry_delay(attempt, jitter()), left)
            log.warning(
                "waiting for the database",
                extra={"database": where, "attempt": attempt, "next_delay_s": round(delay, 2), "error": reason},
            )
            sleep(delay)
        else:
            if attempt > 1:
                waited = round(clock() - started, 1)
                log.info("the database answered", extra={"database": where, "attempt": attempt, "waited_s": waited})
            return
