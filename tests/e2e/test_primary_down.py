"""The server serving from a standby while the primary is stopped, or does not answer at all: reads answer, limits
fall back to each process's own accounting (never none) and come back shared by themselves, and no request waits
for the primary."""

from __future__ import annotations

import contextlib
import socket
import statistics
import time
from collections.abc import Iterator

import pytest

from tests import live_server
from tests.conftest import TEST_TIERS
from tests.e2e.api_support import close, import_days, make_container, write_rows
from tests.integration.test_observability import parse, sample

WORKERS = 2
BURST = 5
FALLBACK = "shared rate limits unreachable; limiting per process"
RESTORED = "shared rate limits restored"


def get(server, path: str, client: str) -> int:
    """The status of a GET sent as from `client` (the server trusts this host's X-Forwarded-For)."""
    return live_server.get(server.base + path, {"X-Forwarded-For": client})[0]


def shared_gauge(server) -> float:
    return sample(parse(live_server.get(f"{server.base}/metrics")[2]), "pepy_rate_limit_shared")


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture
def loaded_replica(replica, tmp_path):
    """The replica fixture with the API tests' days imported on the primary and replayed."""
    container = make_container(replica.primary.url)
    import_days(container, write_rows(tmp_path / "rows.ndjson"))
    close(container)
    replica.wait_for_replay()
    return replica


@pytest.mark.slow
def test_with_the_primary_stopped_reads_answer_and_limits_hold_per_process_until_it_returns(loaded_replica, tmp_path):
    replica = loaded_replica
    log = tmp_path / "server.log"
    with (
        log.open("w") as stderr,
        live_server.api_server(
            replica.primary.url,
            tmp_path,
            workers=WORKERS,
            stderr=stderr,
            PEPY_READ_DATABASE_URL=replica.standby.url,
            PEPY_RATE_LIMIT_TIERS=f"anonymous:1:{BURST}",
            PEPY_TRUSTED_PROXIES="127.0.0.1/32",
        ) as server,
    ):
        assert get(server, "/api/v2/projects/demo-pkg", "198.51.100.1") == 200
        assert shared_gauge(server) == 1
        replica.primary.stop()
        try:
            # Each client once: every read answers from the standby.
            reads = [get(server, "/api/v2/projects/demo-pkg", f"198.51.{n // 250}.{n % 250 + 1}") for n in range(60)]
            # One client many times: at most a burst from each process.
            one_client = [get(server, "/api/v2/projects/demo-pkg", "203.0.113.7") for _ in range(40)]
            wait_for(lambda: FALLBACK in log.read_text(), 10, "the fallback was not logged")
            assert shared_gauge(server) == 0
        finally:
            replica.primary.start()
        # No request needed: each process tries the primary again after its backoff.
        # The backoff reaches its 30 s cap while the primary is down; a loaded machine adds its own delays.
        wait_for(lambda: shared_gauge(server) == 1, 75, "the shared limits did not come back")

    assert reads == [200] * 60
    assert BURST <= one_client.count(200) <= WORKERS * BURST, one_client
    assert one_client.count(429) == 40 - one_client.count(200)
    assert RESTORED in log.read_text()


@contextlib.contextmanager
def silent_address() -> Iterator[str]:
    """127.0.0.1 and a port that takes connections into its backlog and never answers (then drops the rest): a
    primary whose packets vanish, which a client only gives up on at its connect timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield f"127.0.0.1:{listener.getsockname()[1]}"


def timed_read(server, n: int) -> float:
    """Seconds a limited read took, as from the n-th client."""
    started = time.perf_counter()
    assert get(server, f"/api/v2/projects/demo-pkg?request={n}", f"198.51.100.{n % 250 + 1}") == 200
    return time.perf_counter() - started


@pytest.mark.slow
def test_a_primary_that_does_not_answer_costs_no_request_any_time(loaded_replica, tmp_path):
    replica = loaded_replica
    environment = {
        "PEPY_READ_DATABASE_URL": replica.standby.url,
        "PEPY_RATE_LIMIT_TIERS": TEST_TIERS,
        "PEPY_TRUSTED_PROXIES": "127.0.0.1/32",
    }
    log = tmp_path / "server.log"
    (tmp_path / "reachable").mkdir()
    (tmp_path / "silent").mkdir()
    with (
        silent_address() as silent,
        log.open("w") as stderr,
        live_server.api_server(replica.primary.url, tmp_path / "reachable", **environment) as reachable,
        live_server.api_server(
            replica.primary.url.replace(f"127.0.0.1:{replica.primary.port}", silent),
            tmp_path / "silent",
            stderr=stderr,
            **environment,
        ) as unanswered,
    ):
        # The two servers in turns, so that both see the same load on this host. The silent one's settlements
        # wait for its primary (the pool's 5 s connect timeout) meanwhile.
        pairs = [(timed_read(reachable, n), timed_read(unanswered, n)) for n in range(80)]
        wait_for(lambda: FALLBACK in log.read_text(), 15, "the fallback was not logged")
        pairs += [(timed_read(reachable, n), timed_read(unanswered, n)) for n in range(80, 120)]

    extra_ms = statistics.median(silent - answered for answered, silent in pairs[20:]) * 1000
    assert extra_ms < 2, f"{extra_ms:.1f} ms more a request with the primary silent"
    slowest = max(silent for _, silent in pairs)
    assert slowest < 1, f"a request took {slowest:.2f} s with the primary silent"
