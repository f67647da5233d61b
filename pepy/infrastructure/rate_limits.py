"""The rate limiter every API process runs: decided in the process, settled with the shared store in the
background, so that no request waits for the primary, and limiting per process when the store is unreachable."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pepy.domain.access import Charge, Decision, Tier
from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable
from pepy.domain.ports import RateLimiter, SharedRateLimits

log = logging.getLogger(__name__)

# How often a process settles what it admitted. Shorter narrows the window in which processes decide on what the
# others admitted before it; each settlement is one statement for every client the process saw meanwhile.
SETTLE_SECONDS = 0.25
# After the store fails, the first retry waits this long, doubling up to the cap: a down primary costs one
# failed statement per process per backoff, never a request's time.
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
# A client not seen for this long is forgotten by the process (its state is in the store).
IDLE_SECONDS = 120.0


@dataclass
class _ClientState:
    """What a process knows of one client: its GCRA theoretical arrival time (on the process's monotonic clock),
    the requests it admitted since its last settlement, and their interval."""

    tat: float
    pending: int = 0
    interval: float = 0.0


class RateLimitEvents:
    """What the limiter reports: each settlement's outcome, and whether limits are shared or per process."""

    def settled(self, outcome: str) -> None:
        """A settlement ended: ok, failed, or skipped while the store is being left alone."""

    def shared(self, shared: bool) -> None:
        """Limits became shared again (True), or fell back to each process's own accounting (False)."""


class SettledRateLimiter(RateLimiter):
    """GCRA per client, decided from the process's own view and settled with a shared store every SETTLE_SECONDS.

    Each settlement adds what this process admitted to the clients' shared state and brings back what every
    process admitted, so the limit is shared by every worker and host. Worst case: a client spreading requests
    over P processes gets up to P bursts before the next settlement tells each process about the others; what was
    admitted beyond the limit is then owed in the shared state, so over any longer span the client keeps its
    tier's rate. When the store is unreachable the process goes on limiting on its own (at most a burst per
    process, never unlimited), and tries the store again after a backoff.
    """

    def __init__(
        self,
        shared: SharedRateLimits,
        settle_seconds: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        events: RateLimitEvents | None = None,
    ):
        self._shared = shared
        self._settle_seconds = settle_seconds
        self._clock = clock
        self._events = events or RateLimitEvents()
        self._states: dict[str, _ClientState] = {}
        self._lock = threading.Lock()
        self._settler_pid: int | None = None
        self._backoff = 0.0
        self._retry_at = 0.0
        self._stopped = threading.Event()
        self._settler: threading.Thread | None = None

    def stop(self) -> None:
        """Stop settling, and wait for a settlement under way: the process is closing its connections."""
        self._stopped.set()
        if self._settler is not None and self._settler.is_alive():
            self._settler.join()

    def report_to(self, events: RateLimitEvents) -> None:
        """Send the limiter's events there from now on."""
        self._events = events

    def hit(self, client: str, tier: Tier) -> Decision:
        self._start_settler()
        interval = 60.0 / tier.per_minute
        window = interval * tier.burst
        now = self._clock()
        with self._lock:
            state = self._states.get(client)
            if state is None:
                state = self._states[client] = _ClientState(now)
            ahead = max(state.tat, now) - now
            if ahead + interval <= window + 1e-9:
                ahead += interval
                state.tat, state.pending, state.interval = now + ahead, state.pending + 1, interval
                remaining = max(0, math.floor((window - ahead) / interval + 1e-9))
                return Decision(True, tier.burst, remaining, math.ceil(ahead), 0)
        retry_after = max(1, math.ceil(ahead - (window - interval)))
        return Decision(False, tier.burst, 0, math.ceil(ahead), retry_after)

    def settle(self) -> None:
        """Send what this process admitted since the last settlement, and take in every process's state."""
        now = self._clock()
        with self._lock:
            charges = [Charge(c, s.pending, s.interval) for c, s in self._states.items() if s.pending]
            for charge in charges:
                self._states[charge.client].pending = 0
            for client in [c for c, s in self._states.items() if s.tat < now - IDLE_SECONDS]:
                del self._states[client]
        # With nothing admitted there is nothing to settle, unless the store is being waited for: then an empty
        # settlement finds out whether it is back, so that a process without traffic shares its limits again too.
        if not charges and not self._backoff:
            return
        if now < self._retry_at:
            # What was admitted meanwhile was limited by this process alone; charging it later would punish
            # clients for the outage.
            if charges:
                self._events.settled("skipped")
            return
        try:
            ahead = self._shared.settle(charges)
        except (DatabaseUnavailable, DatabaseTimeout) as error:
            self._failed(now, error)
            return
        if self._backoff:
            log.warning("shared rate limits restored")
            self._events.shared(True)
            self._backoff = 0.0
        self._events.settled("ok")
        now = self._clock()
        with self._lock:
            for client, seconds in ahead.items():
                state = self._states.get(client)
                if state is not None:
                    state.tat = now + seconds + state.pending * state.interval

    def _failed(self, now: float, error: Exception) -> None:
        if not self._backoff:
            log.warning("shared rate limits unreachable; limiting per process", extra={"reason": str(error)})
            self._events.shared(False)
        self._backoff = min(MAX_BACKOFF_SECONDS, self._backoff * 2 or FIRST_BACKOFF_SECONDS)
        self._retry_at = now + self._backoff
        self._events.settled("failed")

    def _start_settler(self) -> None:
        # Once per process: a thread does not survive a fork, so a process forked after the app started starts its own.
        if self._settler_pid == os.getpid() or self._settle_seconds <= 0:
            return
        with self._lock:
            if self._settler_pid == os.getpid():
                return
            self._settler_pid = os.getpid()
        self._settler = threading.Thread(target=self._settle_forever, name="pepy-rate-limits", daemon=True)
        self._settler.start()

    def _settle_forever(self) -> None:
        while not self._stopped.wait(self._settle_seconds):
            try:
                self.settle()
            except Exception:
                log.exception("rate-limit settlement failed")
