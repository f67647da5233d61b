"""API keys and rate limits on every limited request; badges and operational endpoints are left out."""

from __future__ import annotations

import ipaddress

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState

from pepy.application.access import AdmitRequest, AdmitRequestHandler
from pepy.infrastructure.api.errors import error_response
from pepy.infrastructure.api.scopes import API_KEY_HEADER
from pepy.infrastructure.container import Container

blueprint = Blueprint("limits", __name__)

# On every answer to a request whose key this server does not know (or has revoked).
API_KEY_STATUS_HEADER = "X-API-Key-Status"
UNKNOWN_KEY_STATUS = "unknown; answered as anonymous"

# Badges and charts are images embedded in pages and READMEs, served from cache without touching the limiter;
# probes, metrics, docs and the site's stylesheet and script must always answer.
UNLIMITED_PREFIXES = (
    "/badge/",
    "/personalized-badge/",
    "/chart/",
    "/health-check",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/static/",
)


def client_address(remote: str | None, forwarded_for: str | None, trusted) -> str:
    """The client's address: X-Forwarded-For is believed only as far as it was written by trusted proxies."""
    hops = [remote or "unknown"]
    if forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()] + hops
    # Walk back from the nearest hop while it is a trusted proxy: the first untrusted one is the client.
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return hop[:64]
        if not any(address in network for network in trusted):
            return str(address)
    return hops[0][:64]


@blueprint.record_once
@inject
def install_admission(
    state: BlueprintSetupState,
    admit: AdmitRequestHandler = Provide[Container.admit_request],
    trusted: tuple = Provide[Container.trusted_proxies],
) -> None:
    """Give the app the admission handler and the trusted proxies, taken from the container once: injecting them
    into the hook cost more than the limiter's own decision, on every limited request."""
    state.app.extensions["pepy_admission"] = (admit, trusted)


@blueprint.before_app_request
def admit_request():
    """Admit each limited request before its view runs: an unknown key as anonymous, 429 over the limit."""
    if request.path.startswith(UNLIMITED_PREFIXES) or request.method == "OPTIONS":
        return None
    admit, trusted = current_app.extensions["pepy_admission"]
    secret = request.headers.get(API_KEY_HEADER)
    address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), trusted)
    admission = admit(AdmitRequest(secret or None, address))
    g.api_key = admission.key
    g.unknown_api_key = admission.unknown_key
    g.rate_limit = admission.decision
    if not admission.decision.allowed:
        response = error_response(
            429,
            f"Too many requests: retry in {admission.decision.retry_after_seconds} s, "
            "or use an API key of a higher tier",
        )
        response.headers["Retry-After"] = str(admission.decision.retry_after_seconds)
        response.headers["X-Rate-Limit-Retry-After-Seconds"] = str(admission.decision.retry_after_seconds)
        return response
    return None


@blueprint.after_app_request
def rate_limit_headers(response: Response) -> Response:
    """The limiter's decision, in the draft standard's headers and pepy.tech's, and whether the key was unknown."""
    decision = g.get("rate_limit")
    if decision is not None:
        # Added, not set: nothing else writes these, and setting each scans every header already there.
        remaining = str(decision.remaining)
        response.headers.extend(
            (
                ("RateLimit-Limit", str(decision.limit)),
                ("RateLimit-Remaining", remaining),
                ("RateLimit-Reset", str(decision.reset_seconds)),
                ("X-Rate-Limit-Remaining", remaining),
                ("Vary", API_KEY_HEADER),
            )
        )
    if g.get("unknown_api_key"):
        response.headers[API_KEY_STATUS_HEADER] = UNKNOWN_KEY_STATUS
    return response
