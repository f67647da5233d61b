"""API keys and the shared rate limits in PostgreSQL: hashes only, GCRA settled in batches, one limit for every
process."""

from __future__ import annotations

import multiprocessing

import psycopg2
import pytest

from pepy.application.access import AdmitRequest, CreateApiKey, ListApiKeys, RevokeApiKey
from pepy.domain.access import Charge, InvalidApiKey, Tier
from pepy.infrastructure.postgres.access import PostgresSharedRateLimits
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.rate_limits import SettledRateLimiter
from tests.conftest import fetch_all


def stored_rows(url: str, table: str) -> list[tuple]:
    return fetch_all(url, f"SELECT * FROM {table}")


def test_a_key_is_shown_once_and_stored_only_as_a_hash(container, db):
    key, secret = container.create_api_key()(CreateApiKey("ci-bot", "free"))
    assert secret.startswith("pepy_") and len(secret) > 40
    assert key.scopes == ("read",) and not key.has_scope("pro") and not key.has_scope("admin")
    assert secret not in repr(stored_rows(db, "api_keys"))
    admitted = container.admit_request()(AdmitRequest(secret, "10.0.0.1"))
    assert admitted.key.name == "ci-bot" and admitted.decision.allowed


def test_keys_are_listed_without_secrets_and_revoked(container):
    _, secret = container.create_api_key()(CreateApiKey("ops", "pro", scopes=("admin",)))
    listed = container.list_api_keys()(ListApiKeys())
    assert [(k.name, k.tier, k.scopes, k.revoked_at) for k in listed] == [("ops", "pro", ("read", "admin"), None)]
    assert container.admit_request()(AdmitRequest(secret, "10.0.0.1")).key.name == "ops"
    container.revoke_api_key()(RevokeApiKey("ops"))
    container.config.key_cache_seconds.from_value(0)
    container.admit_request.reset()
    revoked = container.admit_request()(AdmitRequest(secret, "10.0.0.1"))
    assert (revoked.key, revoked.unknown_key) == (None, True)
    with pytest.raises(InvalidApiKey, match="No active key"):
        container.revoke_api_key()(RevokeApiKey("ops"))


@pytest.mark.parametrize(
    ("name", "tier", "message"),
    [("", "free", "name"), ("x" * 101, "free", "name"), ("bad\nname", "free", "name"), ("ok", "gold", "Unknown tier")],
)
def test_bad_key_requests_are_refused(container, name, tier, message):
    with pytest.raises(InvalidApiKey, match=message):
        container.create_api_key()(CreateApiKey(name, tier))


@pytest.mark.parametrize(
    ("asked", "stored"),
    [
        ((), ("read",)),
        (("read",), ("read",)),
        (("pro",), ("read", "pro")),
        (("admin",), ("read", "admin")),
        (("admin", "pro", "pro"), ("read", "pro", "admin")),
    ],
)
def test_a_key_is_created_with_the_scopes_asked_for_and_always_reads(container, asked, stored):
    key, _ = container.create_api_key()(CreateApiKey("partner", "free", scopes=asked))
    assert key.scopes == stored
    assert [k.scopes for k in container.list_api_keys()(ListApiKeys())] == [stored]


@pytest.mark.parametrize("scopes", [("gold",), ("pro", "Admin"), ("",)])
def test_an_unknown_scope_is_refused_and_nothing_is_stored(container, scopes):
    with pytest.raises(InvalidApiKey, match=r"Unknown scope\(s\) .*: use read, pro, admin"):
        container.create_api_key()(CreateApiKey("partner", "free", scopes=scopes))
    assert container.list_api_keys()(ListApiKeys()) == []


def test_a_taken_name_is_refused(container):
    container.create_api_key()(CreateApiKey("dup", "free"))
    with pytest.raises(InvalidApiKey, match="exists already"):
        container.create_api_key()(CreateApiKey("dup", "free"))


def test_an_unknown_key_is_admitted_as_anonymous_within_the_address_limit(container):
    container.config.rate_limit_tiers.from_value("anonymous:60:2,free:300:60")
    container.tiers.reset()
    container.admit_request.reset()
    admit = container.admit_request()
    unknown = admit(AdmitRequest("pepy_not-a-key", "198.51.100.7"))
    assert (unknown.key, unknown.unknown_key, unknown.decision.limit, unknown.decision.remaining) == (None, True, 2, 1)
    anonymous = admit(AdmitRequest(None, "198.51.100.7"))
    assert (anonymous.unknown_key, anonymous.decision.remaining) == (False, 0)
    assert not admit(AdmitRequest("undefined", "198.51.100.7")).decision.allowed


def test_a_settlement_adds_each_clients_requests_to_its_shared_state(container):
    shared = container.shared_rate_limits()
    first = shared.settle([Charge("ip:192.0.2.1", 3, 10.0), Charge("key:7", 1, 0.5)])
    again = shared.settle([Charge("ip:192.0.2.1", 2, 10.0)])

    assert 29.0 < first["ip:192.0.2.1"] <= 30.0 and 0.0 < first["key:7"] <= 0.5
    assert 49.0 < again["ip:192.0.2.1"] <= 50.0 and set(again) == {"ip:192.0.2.1"}


def test_the_limiter_allows_the_burst_then_refuses_with_a_retry_time(container):
    limiter = container.rate_limiter()
    tier = Tier("tiny", per_minute=6, burst=3)
    decisions = [limiter.hit("ip:192.0.2.1", tier) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert all(d.limit == 3 for d in decisions)
    # One request every 10 s refills: the next is allowed in about 10 s.
    assert 9 <= decisions[3].retry_after_seconds <= 10
    assert limiter.hit("ip:192.0.2.2", tier).allowed, "another client has its own limit"


def test_anonymous_clients_are_limited_per_address(container):
    container.config.rate_limit_tiers.from_value("anonymous:60:2")
    container.tiers.reset()
    container.admit_request.reset()
    admit = container.admit_request()
    assert [admit(AdmitRequest(None, "198.51.100.7")).decision.allowed for _ in range(3)] == [True, True, False]
    assert admit(AdmitRequest(None, "198.51.100.8")).decision.allowed


TIGHT = Tier("t", per_minute=1, burst=25)


def _hammer(args) -> tuple[int, int]:
    """One process: hits until its own view refuses, settles, then hits again after every process settled."""
    url, hits, barrier = args
    pool = ConnectionPool(url)
    limiter = SettledRateLimiter(PostgresSharedRateLimits(pool), settle_seconds=0)
    first = sum(limiter.hit("key:shared", TIGHT).allowed for _ in range(hits))
    limiter.settle()
    barrier.wait()
    limiter.settle()
    later = sum(limiter.hit("key:shared", TIGHT).allowed for _ in range(hits))
    pool.close()
    return first, later


def test_across_processes_a_client_gets_at_most_a_burst_each_then_owes_the_excess(db):
    manager = multiprocessing.get_context("spawn").Manager()
    barrier = manager.Barrier(4)
    with multiprocessing.get_context("spawn").Pool(4) as processes:
        allowed = processes.map(_hammer, [(db, 30, barrier)] * 4)
    # Before any settlement each process decides alone: a burst each. Once settled, every process knows the
    # client is 100 requests (minutes) ahead, past its burst of 25: nothing more until that is paid back.
    assert [first for first, _ in allowed] == [25] * 4
    assert [later for _, later in allowed] == [0] * 4
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT extract(epoch FROM tat - now()) FROM rate_limits WHERE client = 'key:shared'")
        assert 99 * 60 < float(cur.fetchone()[0]) <= 100 * 60
    conn.close()


def test_a_key_whose_tier_was_removed_keeps_its_scopes_at_the_anonymous_rate(container):
    _, secret = container.create_api_key()(CreateApiKey("old-plan", "pro", scopes=("pro",)))
    container.config.rate_limit_tiers.from_value("anonymous:60:2")
    container.tiers.reset()
    container.admit_request.reset()
    admit = container.admit_request()
    decisions = [admit(AdmitRequest(secret, "10.0.0.1")) for _ in range(3)]
    assert all(d.key.has_scope("pro") for d in decisions)
    assert [(d.decision.allowed, d.decision.limit) for d in decisions] == [(True, 2), (True, 2), (False, 2)]
