"""API keys and the shared rate limiter, in PostgreSQL."""

from __future__ import annotations

import math
import random

import psycopg2.errors

from pepy.domain.access import ApiKey, Decision, InvalidApiKey, Tier
from pepy.domain.ports import ApiKeyRepository, RateLimiter
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.prepared import PreparedStatements

_KEY_COLUMNS = "id, name, tier, scopes, created_at, revoked_at"

# GCRA in one statement: a client's row holds its "theoretical arrival time" (TAT). A request is allowed when
# pushing the TAT one interval further keeps it within the burst window of now; a refused request changes nothing.
_HIT = """
INSERT INTO rate_limits AS r (client, tat) VALUES ($1, clock_timestamp() + $2 * interval '1 second')
ON CONFLICT (client) DO UPDATE SET tat = greatest(r.tat, clock_timestamp()) + $2 * interval '1 second'
WHERE greatest(r.tat, clock_timestamp()) + $2 * interval '1 second' - clock_timestamp() <= $3 * interval '1 second'
RETURNING extract(epoch FROM tat - clock_timestamp())
"""
_HIT_TYPES = ("text", "float8", "float8")
_WAIT = "SELECT extract(epoch FROM tat - clock_timestamp()) FROM rate_limits WHERE client = %s"
# Rows whose TAT has passed say nothing a missing row would not; dropping them now and then bounds the table.
_FORGET = "DELETE FROM rate_limits WHERE tat < clock_timestamp() - interval '1 minute'"
_FORGET_PROBABILITY = 0.001


def _key(row) -> ApiKey:
    id_, name, tier, scopes, created_at, revoked_at = row
    return ApiKey(id_, name, tier, tuple(scopes), created_at, revoked_at)


class PostgresApiKeyRepository(ApiKeyRepository):
    """ApiKeyRepository on the primary."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    def add(self, name: str, secret_hash: str, tier: str, scopes: tuple[str, ...]) -> ApiKey:
        try:
            with self._pool.connection() as conn, conn.cursor() as cur:
                cur.execute(
                    f"INSERT INTO api_keys (name, secret_hash, tier, scopes) VALUES (%s, %s, %s, %s) "
                    f"RETURNING {_KEY_COLUMNS}",
                    (name, secret_hash, tier, list(scopes)),
                )
                return _key(cur.fetchone())
        except psycopg2.errors.UniqueViolation:
            raise InvalidApiKey(f"A key named {name!r} exists already") from None

    def find_active(self, secret_hash: str) -> ApiKey | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE secret_hash = %s AND revoked_at IS NULL", (secret_hash,)
            )
            row = cur.fetchone()
        return _key(row) if row else None

    def all(self) -> list[ApiKey]:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY id")
            return [_key(row) for row in cur.fetchall()]

    def revoke(self, name: str) -> ApiKey | None:
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                f"UPDATE api_keys SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL "
                f"RETURNING {_KEY_COLUMNS}",
                (name,),
            )
            row = cur.fetchone()
        return _key(row) if row else None


class PostgresRateLimiter(RateLimiter):
    """GCRA over an UNLOGGED table on the primary: one prepared statement per request, shared by every worker."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool
        self._prepared = PreparedStatements()

    def hit(self, client: str, tier: Tier) -> Decision:
        interval = 60.0 / tier.per_minute
        window = interval * tier.burst
        with self._pool.connection() as conn, conn.cursor() as cur:
            self._prepared.execute(cur, _HIT, _HIT_TYPES, (client, interval, window))
            row = cur.fetchone()
            if row is None:
                cur.execute(_WAIT, (client,))
                ahead = float(cur.fetchone()[0])
            if random.random() < _FORGET_PROBABILITY:
                cur.execute(_FORGET)
        if row is not None:
            ahead = float(row[0])
            remaining = max(0, math.floor((window - ahead) / interval + 1e-9))
            return Decision(True, tier.burst, remaining, math.ceil(ahead), 0)
        retry_after = max(1, math.ceil(ahead - (window - interval)))
        return Decision(False, tier.burst, 0, math.ceil(ahead), retry_after)
