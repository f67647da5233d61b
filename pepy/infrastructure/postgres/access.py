"""API keys and the shared rate limiter, in PostgreSQL."""

from __future__ import annotations

import random

import psycopg2.errors

from pepy.domain.access import ApiKey, Charge, InvalidApiKey
from pepy.domain.ports import ApiKeyRepository, SharedRateLimits
from pepy.infrastructure.postgres.pool import ConnectionPool

_KEY_COLUMNS = "id, name, tier, scopes, created_at, revoked_at"

# Every request a process admitted since its last settlement, added to each client's GCRA "theoretical arrival
# time" (TAT) in one statement; now() is the statement's one instant, so excluded.tat - now() is a client's charge.
_SETTLE = """
INSERT INTO rate_limits AS r (client, tat)
SELECT client, now() + requests * interval_seconds * interval '1 second'
FROM unnest(%s::text[], %s::int[], %s::float8[]) AS c(client, requests, interval_seconds)
ON CONFLICT (client) DO UPDATE SET tat = greatest(r.tat, now()) + (excluded.tat - now())
RETURNING client, extract(epoch FROM tat - now())
"""
# Rows whose TAT has passed say nothing a missing row would not; dropping them now and then bounds the table.
_FORGET = "DELETE FROM rate_limits WHERE tat < now() - interval '1 minute'"
_FORGET_PROBABILITY = 0.01


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


class PostgresSharedRateLimits(SharedRateLimits):
    """The shared rate-limit state in an UNLOGGED table on the primary, settled by each process in batches."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    def settle(self, charges: list[Charge]) -> dict[str, float]:
        clients = [c.client for c in charges]
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(_SETTLE, (clients, [c.requests for c in charges], [c.interval for c in charges]))
            ahead = {client: float(seconds) for client, seconds in cur.fetchall()}
            if random.random() < _FORGET_PROBABILITY:
                cur.execute(_FORGET)
        return ahead
