"""Rate limits over HTTP: headers on every limited answer, 429 with Retry-After, badges and probes untouched,
one limit for all of the server's workers, and limits per process (never none) while the primary is unreachable."""

from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from dependency_injector import providers

from pepy.application.access import CreateApiKey, RevokeApiKey
from pepy.domain.errors import DatabaseUnavailable
from pepy.domain.ports import SharedRateLimits
from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.limits import client_address
from tests import live_server

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"),)


def limited_app(container, tiers: str, trusted: str = ""):
    container.config.rate_limit_tiers.from_value(tiers)
    container.config.trusted_proxies.from_value(trusted)
    for provider in (container.tiers, container.trusted_proxies, container.admit_request):
        provider.reset()
    return create_app(container).test_client()


def test_every_limited_answer_carries_the_headers_and_a_429_says_when_to_retry(container):
    client = limited_app(container, "anonymous:60:2")
    first, second, third = (client.get("/api/v2/projects/nothing-here") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (404, 404, 429)
    assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Remaining"]) == ("2", "1")
    assert second.headers["X-Rate-Limit-Remaining"] == "0"
    assert int(second.headers["RateLimit-Reset"]) >= 1
    assert third.content_type == "application/json"
    assert third.get_json()["error"] == 429
    assert 1 <= int(third.headers["Retry-After"]) <= 2
    assert third.headers["X-Rate-Limit-Retry-After-Seconds"] == third.headers["Retry-After"]


def test_badges_and_probes_never_touch_the_limiter(container):
    client = limited_app(container, "anonymous:60:1")
    for path in ["/badge/nothing-here", "/personalized-badge/nothing-here?period=week", "/health-check", "/metrics"]:
        answers = [client.get(path) for _ in range(5)]
        assert all(a.status_code != 429 and "RateLimit-Limit" not in a.headers for a in answers), path


def test_a_key_has_its_own_tier(container):
    client = limited_app(container, "anonymous:60:1,pro:600:5")
    _, secret = container.create_api_key()(CreateApiKey("partner", "pro"))
    answers = [client.get("/api/v2/projects/x", headers={"X-API-Key": secret}) for _ in range(6)]
    assert [a.status_code for a in answers] == [404] * 5 + [429]
    assert answers[0].headers["RateLimit-Limit"] == "5"
    assert all("X-API-Key-Status" not in a.headers for a in answers)


def test_an_unknown_or_revoked_key_is_answered_as_anonymous_within_the_address_limit(container):
    client = limited_app(container, "anonymous:60:3,pro:600:50")
    _, revoked = container.create_api_key()(CreateApiKey("former", "pro", scopes=("admin",)))
    container.revoke_api_key()(RevokeApiKey("former"))

    def top(address: str, secret: str | None = None):
        keyed = {} if secret is None else {"X-API-Key": secret}
        return client.get("/api/v3/top", environ_base={"REMOTE_ADDR": address}, headers=keyed)

    # Each address has its own budget of 3; the unknown keys spend it as no key would, and gain nothing.
    first = [top("198.51.100.1", secret) for secret in ("pepy_from-pepy-tech", "undefined", None, revoked)]
    second = [top("198.51.100.2", secret) for secret in (revoked, None, "undefined", "pepy_from-pepy-tech")]
    for answers in (first, second):
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["RateLimit-Limit"] for a in answers[:3]] == ["3"] * 3
        assert [a.headers["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert first[0].get_json() == top("198.51.100.3").get_json()
    for answer in (*first, *second):
        sent_a_key = answer.request.headers.get("X-API-Key") is not None
        assert answer.headers.get("X-API-Key-Status") == ("unknown; answered as anonymous" if sent_a_key else None)
        assert "X-API-Key" in answer.headers["Vary"]

    for secret in ("pepy_from-pepy-tech", "undefined", revoked):
        refused = client.get(
            "/api/v1/admin/projects/x", environ_base={"REMOTE_ADDR": "198.51.100.4"}, headers={"X-API-Key": secret}
        )
        assert refused.status_code == 401, secret
        assert refused.get_json()["message"] == "A valid X-API-Key header is required: this key is unknown or revoked"
        assert refused.headers["WWW-Authenticate"] == "X-API-Key"


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(container):
    client = limited_app(container, "anonymous:60:1", trusted="10.0.0.0/8")
    behind_proxy = {"REMOTE_ADDR": "10.1.2.3"}
    assert (
        client.get("/api/v3/top", environ_base=behind_proxy, headers={"X-Forwarded-For": "203.0.113.1"}).status_code
        == 200
    )
    assert (
        client.get("/api/v3/top", environ_base=behind_proxy, headers={"X-Forwarded-For": "203.0.113.2"}).status_code
        == 200
    )
    # From an untrusted address, a forged header changes nothing: the second request is over the limit.
    direct = {"REMOTE_ADDR": "198.51.100.9"}
    assert client.get("/api/v3/top", environ_base=direct, headers={"X-Forwarded-For": "203.0.113.3"}).status_code == 200
    assert client.get("/api/v3/top", environ_base=direct, headers={"X-Forwarded-For": "203.0.113.4"}).status_code == 429


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("198.51.100.9", None, "198.51.100.9"),
        ("198.51.100.9", "203.0.113.1", "198.51.100.9"),
        ("10.0.0.1", "203.0.113.1", "203.0.113.1"),
        ("10.0.0.1", "203.0.113.1, 10.0.0.2", "203.0.113.1"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        ("10.0.0.1", "not-an-ip", "not-an-ip"),
        ("10.0.0.1", "10.0.0.3", "10.0.0.3"),
    ],
)
def test_the_client_is_the_first_untrusted_hop(remote, forwarded, client):
    assert client_address(remote, forwarded, TRUSTED) == client


@pytest.mark.slow
def test_across_server_workers_a_client_gets_at_most_a_burst_each_then_owes_the_excess(db, tmp_path):
    # One request a minute after a burst of 20: a first wave gets at most a burst from each of the 3 workers;
    # once they have settled (every quarter second), the excess is owed and every worker refuses.
    tiers = "anonymous:1:20"
    with (
        live_server.api_server(db, tmp_path, workers=3, PEPY_RATE_LIMIT_TIERS=tiers) as server,
        ThreadPoolExecutor(12) as pool,
    ):
        first = list(pool.map(lambda _: live_server.get(f"{server.base}/api/v3/top")[0], range(90)))
        time.sleep(1)
        later = list(pool.map(lambda _: live_server.get(f"{server.base}/api/v3/top")[0], range(60)))
    assert 20 <= first.count(200) <= 3 * 20, first
    assert first.count(429) == 90 - first.count(200)
    assert later.count(429) == 60, later


class UnreachableStore(SharedRateLimits):
    def settle(self, charges):
        raise DatabaseUnavailable("could not connect to the primary")


def test_with_the_primary_unreachable_each_process_still_limits_and_metrics_say_so(container, caplog):
    container.shared_rate_limits.override(providers.Object(UnreachableStore()))
    container.rate_limiter.reset()
    client = limited_app(container, "anonymous:60:2")
    answers = [client.get("/api/v2/projects/nothing-here") for _ in range(3)]
    container.rate_limiter().settle()

    assert [a.status_code for a in answers] == [404, 404, 429]
    assert "shared rate limits unreachable; limiting per process" in caplog.text
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "pepy_rate_limit_shared 0.0" in metrics
    assert 'pepy_rate_limit_settlements_total{outcome="failed"} 1.0' in metrics


def test_a_key_secret_appears_once_on_creation_and_never_in_logs_bodies_or_metrics(container, db, monkeypatch, caplog):
    from click.testing import CliRunner

    from pepy.infrastructure.cli import main

    monkeypatch.setenv("PEPY_DATABASE_URL", db)
    monkeypatch.setenv("PEPY_ENV", "production")
    created = CliRunner().invoke(main, ["keys", "create", "--name", "partner", "--tier", "pro"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("pepy_") and created.output.count(secret) == 1
    listed = CliRunner().invoke(main, ["keys", "list"])
    assert "partner" in listed.output and secret not in listed.output

    client = limited_app(container, "anonymous:60:10,pro:600:5")
    bodies = [
        client.get(path, headers={"X-API-Key": secret}).get_data(as_text=True)
        for path in ("/api/v2/projects/x", "/api/v1/admin/projects/x", "/api/v3/top?limit=0")
    ]
    revoked = CliRunner().invoke(main, ["keys", "revoke", "partner"])
    assert revoked.exit_code == 0
    bodies.append(client.get("/metrics").get_data(as_text=True))
    logs = "\n".join(record.getMessage() + repr(vars(record)) for record in caplog.records)
    assert all(secret not in body for body in bodies)
    assert secret not in logs
