"""API keys and rate-limit tiers: who may call, and how often."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from pepy.domain.errors import DomainError

KEY_PREFIX = "pepy_"
_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}")
# Every key reads; "pro" opens pepy.tech's paid endpoints; "admin" opens every endpoint, so it implies the others.
READ, PRO, ADMIN = "read", "pro", "admin"
SCOPES = (READ, PRO, ADMIN)


class InvalidApiKey(DomainError):
    """A key request that cannot be honoured: a bad name, tier or scope, or an unknown key."""


@dataclass(frozen=True)
class Tier:
    """A rate-limit tier: a sustained rate per minute, and how many requests may come at once."""

    name: str
    per_minute: int
    burst: int

    def __post_init__(self):
        if self.per_minute < 1 or self.burst < 1:
            raise InvalidApiKey(f"Tier {self.name}: per_minute and burst must be at least 1")


@dataclass(frozen=True)
class ApiKey:
    """A stored key: never the secret itself, only its hash."""

    id: int
    name: str
    tier: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None

    def has_scope(self, scope: str) -> bool:
        """Whether the key may call endpoints that need the scope: its own scopes, or any scope for admin."""
        return scope in self.scopes or ADMIN in self.scopes


def new_secret() -> str:
    """A new key's secret: 32 random bytes, URL-safe, with a recognisable prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a secret. Secrets are 256 random bits, so a fast hash cannot be brute-forced."""
    return hashlib.sha256(secret.encode()).hexdigest()


def validate_key_request(name: str, tier: str, scopes: tuple[str, ...], tiers: dict[str, Tier]) -> None:
    """Refuse a key with an unprintable name, an unknown tier or an unknown scope."""
    if not _KEY_NAME.fullmatch(name):
        raise InvalidApiKey("A key's name is 1 to 100 letters, digits, spaces or ._@- characters")
    if tier not in tiers:
        raise InvalidApiKey(f"Unknown tier {tier!r}: configured tiers are {', '.join(sorted(tiers))}")
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise InvalidApiKey(f"Unknown scope(s) {', '.join(sorted(unknown))}: use {', '.join(SCOPES)}")


@dataclass(frozen=True)
class Decision:
    """A rate limiter's answer for one request."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int
