"""Commands and queries for API keys, and the check every limited request goes through."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from pepy.domain.access import (
    READ,
    SCOPES,
    ApiKey,
    Decision,
    InvalidApiKey,
    Tier,
    hash_secret,
    new_secret,
    validate_key_request,
)
from pepy.domain.ports import ApiKeyRepository, RateLimiter

log = logging.getLogger(__name__)

ANONYMOUS_TIER = "anonymous"


@dataclass(frozen=True)
class CreateApiKey:
    """Create a key with the scopes asked for (every key reads); its secret is returned once and stored as a hash."""

    name: str
    tier: str
    scopes: tuple[str, ...] = ()


class CreateApiKeyHandler:
    """Validates the request against the configured tiers and stores the key's hash."""

    def __init__(self, keys: ApiKeyRepository, tiers: dict[str, Tier]):
        self._keys = keys
        self._tiers = tiers

    def __call__(self, command: CreateApiKey) -> tuple[ApiKey, str]:
        validate_key_request(command.name, command.tier, command.scopes, self._tiers)
        scopes = tuple(scope for scope in SCOPES if scope == READ or scope in command.scopes)
        secret = new_secret()
        return self._keys.add(command.name, hash_secret(secret), command.tier, scopes), secret


@dataclass(frozen=True)
class RevokeApiKey:
    """Revoke a key by name."""

    name: str


class RevokeApiKeyHandler:
    """Revokes the key, or says there is no such active key."""

    def __init__(self, keys: ApiKeyRepository):
        self._keys = keys

    def __call__(self, command: RevokeApiKey) -> ApiKey:
        revoked = self._keys.revoke(command.name)
        if revoked is None:
            raise InvalidApiKey(f"No active key is named {command.name!r}")
        return revoked


@dataclass(frozen=True)
class ListApiKeys:
    """Every key, without secrets."""


class ListApiKeysHandler:
    """Lists keys from the repository."""

    def __init__(self, keys: ApiKeyRepository):
        self._keys = keys

    def __call__(self, query: ListApiKeys) -> list[ApiKey]:
        return self._keys.all()


@dataclass(frozen=True)
class Admission:
    """The limiter's decision, the valid key the request came with, if any, and whether it came with another key.

    `unknown_key` is a key this server does not know, or one that was revoked: the request was admitted as anonymous.
    """

    key: ApiKey | None
    decision: Decision
    unknown_key: bool = False


@dataclass(frozen=True)
class AdmitRequest:
    """One request: its key secret (X-API-Key), if any, and the client's address."""

    secret: str | None
    client_address: str


class AdmitRequestHandler:
    """Resolves the key (cached briefly, so most requests cost one query) and counts the request."""

    def __init__(self, keys: ApiKeyRepository, limiter: RateLimiter, tiers: dict[str, Tier], key_cache_seconds: float):
        self._keys = keys
        self._limiter = limiter
        self._tiers = tiers
        self._cache_seconds = key_cache_seconds
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}

    def _key(self, secret: str) -> ApiKey | None:
        digest = hash_secret(secret)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is None or now - cached[0] > self._cache_seconds:
            if len(self._cache) > 10_000:
                self._cache.clear()
            cached = (now, self._keys.find_active(digest))
            self._cache[digest] = cached
        return cached[1]

    def __call__(self, request: AdmitRequest) -> Admission:
        key = None if request.secret is None else self._key(request.secret)
        if key is not None:
            tier = self._tiers.get(key.tier)
            if tier is None:
                # An operator removed the key's tier from the configuration: the key keeps its scopes, and the
                # anonymous tier's rate, until it is given a tier again.
                log.warning("key's tier is not configured", extra={"key": key.name, "tier": key.tier})
                tier = self._tiers[ANONYMOUS_TIER]
            return Admission(key, self._limiter.hit(f"key:{key.id}", tier))
        # Clients moving from pepy.tech keep sending its keys, and an unset variable arrives as "undefined": on an
        # endpoint that needs no key, such a key must not turn a working request into a refusal. It loses every
        # tier and scope, and shares the address's anonymous limit, so it gains nothing over sending no key.
        anonymous = self._limiter.hit(f"ip:{request.client_address}", self._tiers[ANONYMOUS_TIER])
        return Admission(None, anonymous, unknown_key=request.secret is not None)
