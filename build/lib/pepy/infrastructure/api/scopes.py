"""Endpoints that need a key of a scope: the admin endpoint, and pepy.tech's paid (pro) endpoints. Their answers
are private to the key."""

from __future__ import annotations

from functools import wraps

from flask import g

from pepy.domain.access import SCOPES
from pepy.infrastructure.api.caching import cached
from pepy.infrastructure.api.cors import mark_private
from pepy.infrastructure.api.errors import json_error

API_KEY_HEADER = "X-API-Key"


def _refusal(status: int, message: str):
    response = json_error(status, message)
    response.headers["WWW-Authenticate"] = API_KEY_HEADER
    response.vary.add(API_KEY_HEADER)
    return response


def requires_scope(scope: str):
    """Decorate a view: 401 without a valid key, 403 with a key that lacks the scope, before anything else is read;
    the answer is cached privately, varies on the key, and is never shared through CORS's `*`.

    The key itself was resolved by the limits module before any view ran (an unknown or revoked one as no key); an
    admin key has every scope.
    """
    if scope not in SCOPES:
        # A misspelt scope would refuse every key; better to fail when the module is imported.
        raise ValueError(f"Unknown scope {scope!r}: use one of {', '.join(SCOPES)}")

    def decorate(view):
        private_view = cached(private=True, vary=API_KEY_HEADER)(view)

        @mark_private
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = g.get("api_key")
            if key is None:
                unknown = ": this key is unknown or revoked" if g.get("unknown_api_key") else ""
                return _refusal(401, f"A valid X-API-Key header is required{unknown}")
            if not key.has_scope(scope):
                return _refusal(403, f"This key lacks the {scope} scope")
            return private_view(*args, **kwargs)

        return wrapper

    return decorate
