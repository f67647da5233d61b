"""The start-up wait's retry policy, on a fake clock: delays, their cap and jitter, the deadline, what is final."""

from __future__ import annotations

import logging

import psycopg2
import pytest

from pepy.domain.errors import DatabaseUnavailable
from pepy.infrastructure.postgres.wait import LONGEST_DELAY_S, describe, retry_delay, wait_for_database

URL = "postgresql://pepy:s3cret-password@postgres:5432/pepy"
REFUSED = (
    'connection to server at "10.89.0.2", port 5432 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n"
)
NOT_IN_DNS_YET = 'could not translate host name "postgres" to address: Name or service not known\n'
STARTING_UP = 'connection to server at "10.89.0.2", port 5432 failed: FATAL:  the database system is starting up\n'
log = logging.getLogger("tests.wait")


class FakeServer:
    """A clock, a sleep that advances it, and a connect that fails with the given errors, then succeeds."""

    def __init__(self, errors: list[str], connect_seconds: float = 0.0):
        self.now = 1000.0
        self.errors = list(errors)
        self.connect_seconds = connect_seconds
        self.sleeps: list[float] = []
        self.timeouts: list[int] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def connect(self, url: str, connect_timeout: int):
        self.timeouts.append(connect_timeout)
        self.now += self.connect_seconds
        if self.errors:
            raise psycopg2.OperationalError(self.errors.pop(0))
        return self

    def close(self) -> None:
        pass

    def wait(self, seconds: float, jitter: float = 0.5) -> None:
        wait_for_database(
            URL, seconds, log, connect=self.connect, clock=self.clock, sleep=self.sleep, jitter=lambda: jitter
        )


def test_delays_double_from_half_a_second_up_to_the_cap_of_two():
    ceilings = [retry_delay(attempt, jitter=1.0) for attempt in range(1, 8)]
    assert ceilings == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    assert retry_delay(10_000, jitter=1.0) == LONGEST_DELAY_S


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 50])
@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.999999])
def test_jitter_keeps_a_delay_between_half_and_all_of_its_ceiling(attempt, jitter):
    ceiling = retry_delay(attempt, jitter=1.0)
    assert ceiling / 2 <= retry_delay(attempt, jitter) < ceiling
    assert retry_delay(attempt, 0.0) == ceiling / 2


def test_a_server_that_comes_up_is_waited_for_and_the_wait_is_logged(caplog):
    server = FakeServer([REFUSED, NOT_IN_DNS_YET, STARTING_UP, "timeout expired"])
    with caplog.at_level(logging.INFO, logger="tests.wait"):
        server.wait(60, jitter=0.5)
    assert server.sleeps == [0.375, 0.75, 1.5, 1.5]
    waits = [r for r in caplog.records if r.getMessage() == "waiting for the database"]
    assert [(r.attempt, r.next_delay_s) for r in waits] == [(1, 0.38), (2, 0.75), (3, 1.5), (4, 1.5)]
    assert {r.database for r in waits} == {"pepy@postgres:5432/pepy"}
    assert waits[0].error.startswith('connection to server at "10.89.0.2", port 5432 failed: Connection refused Is')
    assert waits[3].error == "timeout expired"
    answered = caplog.records[-1]
    assert (answered.getMessage(), answered.attempt, answered.waited_s) == ("the database answered", 5, 4.1)
    assert "s3cret" not in caplog.text and all("s3cret" not in str(vars(r)) for r in caplog.records)


def test_a_server_that_answers_at_once_is_not_logged(caplog):
    with caplog.at_level(logging.INFO, logger="tests.wait"):
        FakeServer([]).wait(60)
    assert caplog.records == []


def test_the_wait_ends_at_the_deadline_with_the_last_error():
    server = FakeServer([REFUSED] * 100, connect_seconds=0.01)
    with pytest.raises(DatabaseUnavailable) as failed:
        server.wait(10, jitter=0.999)
    assert server.now - 1000 == pytest.approx(10, abs=0.011), "the last attempt is made at the deadline"
    assert server.sleeps[-1] < server.sleeps[-2], "the last pause is cut short by the deadline"
    assert max(server.sleeps) <= LONGEST_DELAY_S
    attempts = len(server.sleeps) + 1
    assert str(failed.value) == (
        f"pepy@postgres:5432/pepy did not accept a connection within 10 s ({attempts} attempts); the last error: "
        'connection to server at "10.89.0.2", port 5432 failed: Connection refused '
        "Is the server running on that host and accepting TCP/IP connections?"
    )
    assert "s3cret" not in str(failed.value)


def test_connect_timeouts_stay_within_what_is_left_and_libpqs_shortest():
    server = FakeServer([REFUSED] * 100, connect_seconds=0.5)
    with pytest.raises(DatabaseUnavailable):
        server.wait(7, jitter=0.999)
    assert server.timeouts[0] == 5 and server.timeouts[-1] == 2
    assert server.timeouts == sorted(server.timeouts, reverse=True)


def test_no_wait_is_one_attempt():
    server = FakeServer([REFUSED, REFUSED])
    with pytest.raises(DatabaseUnavailable, match=r"within 0 s \(1 attempt\)"):
        server.wait(0)
    assert server.sleeps == [] and len(server.errors) == 1


@pytest.mark.parametrize(
    "error",
    [
        'connection to server at "10.89.0.2", port 5432 failed: FATAL:  password authentication failed for user "pepy"',
        'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "pepy" does not exist',
        'connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "pepy" does not exist',
        'connection to server at "10.0.0.9", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.1"',
        'connection to server at "10.0.0.9", port 5432 failed: fe_sendauth: no password supplied',
        'invalid integer value "abc" for connection option "port"',
        'invalid sslmode value: "bogus"',
    ],
)
def test_a_refusal_that_waiting_cannot_change_fails_at_once(error):
    server = FakeServer([error])
    with pytest.raises(DatabaseUnavailable) as failed:
        server.wait(60)
    assert server.sleeps == []
    assert str(failed.value) == (
        f"pepy@postgres:5432/pepy refused the connection, and waiting would not help: {' '.join(error.split())}"
    )


def test_a_malformed_url_is_refused_without_repeating_it():
    with pytest.raises(DatabaseUnavailable) as failed:
        describe("postgresql://pepy:s3cret@[postgres/pepy")
    assert "malformed" in str(failed.value) and "s3cret" not in str(failed.value)


@pytest.mark.parametrize(
    ("url", "described"),
    [
        ("postgresql://pepy:pw@db.internal:6432/stats", "pepy@db.internal:6432/stats"),
        ("postgresql://db.internal/stats", "db.internal:5432/stats"),
        ("postgresql:///stats", "localhost:5432/stats"),
    ],
)
def test_a_database_is_described_without_its_password(url, described):
    assert describe(url) == described
