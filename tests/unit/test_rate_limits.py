"""The settled rate limiter: GCRA decided in the process, settled into a shared store, the stated overshoot, and
limiting per process (never unlimited) while the store is unreachable, with a backoff and a recovery."""

from __future__ import annotations

import time

import pytest

from pepy.domain.access import Charge, Tier
from pepy.domain.errors import DatabaseUnavailable
from pepy.domain.ports import SharedRateLimits
from pepy.infrastructure.rate_limits import (
    FIRST_BACKOFF_SECONDS,
    MAX_BACKOFF_SECONDS,
    RateLimitEvents,
    SettledRateLimiter,
)

TIER = Tier("t", per_minute=60, burst=10)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class MemoryStore(SharedRateLimits):
    """The shared GCRA state in memory, on the same clock; `down` makes every settlement fail."""

    def __init__(self, clock: Clock):
        self._clock = clock
        self.tat: dict[str, float] = {}
        self.down = False
        self.calls = 0

    def settle(self, charges: list[Charge]) -> dict[str, float]:
        self.calls += 1
        if self.down:
            raise DatabaseUnavailable("primary unreachable")
        now = self._clock()
        for charge in charges:
            self.tat[charge.client] = max(self.tat.get(charge.client, now), now) + charge.requests * charge.interval
        return {c.client: self.tat[c.client] - now for c in charges}


class Recorder(RateLimitEvents):
    def __init__(self):
        self.outcomes: list[str] = []
        self.shared_changes: list[bool] = []

    def settled(self, outcome: str) -> None:
        self.outcomes.append(outcome)

    def shared(self, shared: bool) -> None:
        self.shared_changes.append(shared)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(clock):
    return MemoryStore(clock)


def limiter(store, clock, events=None) -> SettledRateLimiter:
    return SettledRateLimiter(store, settle_seconds=0, clock=clock, events=events)


def allowed(process: SettledRateLimiter, hits: int, client: str = "ip:a") -> int:
    return sum(process.hit(client, TIER).allowed for _ in range(hits))


def test_a_burst_then_a_refusal_saying_when_to_retry_then_the_rate(store, clock):
    process = limiter(store, clock)
    decisions = [process.hit("ip:a", TIER) for _ in range(12)]

    assert [d.allowed for d in decisions] == [True] * 10 + [False] * 2
    assert [d.remaining for d in decisions[:3]] == [9, 8, 7] and decisions[9].remaining == 0
    assert decisions[10].retry_after_seconds == 1 and decisions[10].reset_seconds == 10
    clock.now += 1.0
    assert allowed(process, 3) == 1, "one request a second refills"
    assert process.hit("ip:b", TIER).allowed, "another client has its own limit"


def test_no_request_touches_the_store_and_a_settlement_is_one_call_for_every_client(store, clock):
    process = limiter(store, clock)
    allowed(process, 5, "ip:a")
    allowed(process, 3, "ip:b")
    assert store.calls == 0
    process.settle()
    assert store.calls == 1 and store.tat == {"ip:a": clock.now + 5, "ip:b": clock.now + 3}
    process.settle()
    assert store.calls == 1, "nothing admitted since: nothing to settle"


def test_each_process_learns_what_the_others_admitted_when_it_settles(store, clock):
    one, two = limiter(store, clock), limiter(store, clock)
    assert allowed(one, 6) == 6
    one.settle()
    assert allowed(two, 6) == 6, "before settling, the second process knows nothing of the first"
    two.settle()
    assert allowed(one, 1) == 1, "the first has not settled since: its own view still has room"
    one.settle()
    # The store holds 13 requests against a burst of 10: the excess is owed, and both processes know it.
    assert allowed(one, 1) == 0 and allowed(two, 1) == 0
    clock.now += 3.0
    assert allowed(one, 5) == 0, "three seconds pay back the three requests owed, and no more"
    clock.now += 1.0
    assert allowed(one, 5) == 1


def test_the_stated_worst_case_a_burst_per_process_then_the_tiers_rate(store, clock):
    processes = [limiter(store, clock) for _ in range(4)]
    admitted = []
    for _ in range(240):  # a minute in steps of a quarter second, settling every step
        admitted.append(sum(allowed(p, TIER.burst) for p in processes))
        for process in processes:
            process.settle()
        clock.now += 0.25
    # The first step: a burst from each of the 4 processes. Over the minute: at most that, plus the rate.
    assert admitted[0] == 4 * TIER.burst
    assert sum(admitted) <= 4 * TIER.burst + 60
    # What was admitted beyond the limit is owed: the last half minute admits the rate, give or take a step.
    assert 30 - 4 <= sum(admitted[120:]) <= 30 + 4


def test_an_unreachable_store_leaves_each_process_its_own_limit_and_a_backoff(store, clock):
    events = Recorder()
    process = limiter(store, clock, events)
    store.down = True

    assert allowed(process, 50) == TIER.burst, "limited by the process alone, never unlimited"
    process.settle()
    assert (store.calls, events.outcomes, events.shared_changes) == (1, ["failed"], [False])
    allowed(process, 1, "ip:b")
    process.settle()
    assert store.calls == 1 and events.outcomes[-1] == "skipped", "within the backoff the store is left alone"

    clock.now += FIRST_BACKOFF_SECONDS
    allowed(process, 1, "ip:b")
    process.settle()
    assert store.calls == 2 and events.outcomes[-1] == "failed"
    for _ in range(10):
        clock.now += MAX_BACKOFF_SECONDS
        allowed(process, 1, "ip:b")
        process.settle()
    assert store.calls == 12, "the backoff doubles up to its cap, one attempt each time"
    clock.now += MAX_BACKOFF_SECONDS

    store.down = False
    allowed(process, 1, "ip:c")
    process.settle()
    assert events.shared_changes == [False, True] and events.outcomes[-1] == "ok"
    # What was admitted during the outage was limited locally; only what came after it is owed.
    assert store.tat == {"ip:c": clock.now + 1}


def test_a_process_without_traffic_finds_the_store_back_by_itself(store, clock):
    events = Recorder()
    process = limiter(store, clock, events)
    store.down = True
    allowed(process, 1)
    process.settle()
    process.settle()
    assert (store.calls, events.outcomes) == (1, ["failed"]), "nothing admitted, within the backoff: nothing done"

    store.down = False
    clock.now += FIRST_BACKOFF_SECONDS
    process.settle()
    assert (store.calls, events.shared_changes, events.outcomes[-1]) == (2, [False, True], "ok")
    process.settle()
    assert store.calls == 2, "once shared again, nothing admitted means nothing to settle"


def test_idle_clients_are_forgotten_by_the_process(store, clock):
    process = limiter(store, clock)
    allowed(process, 1, "ip:once")
    process.settle()
    clock.now += 1000
    process.settle()
    assert process._states == {}


def test_stopping_waits_for_the_settler_and_nothing_is_settled_after(store, clock):
    process = SettledRateLimiter(store, settle_seconds=0.01, clock=clock)
    allowed(process, 3)
    for _ in range(200):
        if store.calls:
            break
        time.sleep(0.01)
    process.stop()
    calls = store.calls
    allowed(process, 3, "ip:b")
    time.sleep(0.05)
    assert calls == 1 and store.calls == 1 and not process._settler.is_alive()
