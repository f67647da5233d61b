"""The API's server as deployed (granian): the requests it refuses itself, the long ones it lets reach the app, what
every answer says of the server, and how its workers are replaced (a reload, a crash) and stopped."""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest

from pepy.infrastructure.api.server import worker_pids
from tests import live_server

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def port(database_url, tmp_path_factory):
    """The port of a server with the deployed configuration, on 127.0.0.1."""
    with live_server.api_server(database_url, tmp_path_factory.mktemp("server")) as server:
        yield urlsplit(server.base).port


def get(port: int, target: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """The answer to a GET of `target`, read whole."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", target, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def send(port: int, request: bytes) -> tuple[list[str], bytes]:
    """The lines of the answer's head, and its body, to raw bytes sent as they are."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode().split("\r\n"), body


def assert_json_error(response: http.client.HTTPResponse, status: int) -> dict:
    assert response.status == status, response.body[:300]
    assert response.getheader("Content-Type") == "application/json"
    document = json.loads(response.body)
    assert document["error"] == status and document["message"]
    return document


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /health-check HTTP/1.1 extra\r\nHost: 127.0.0.1",
        b"nonsense\r\nHost: 127.0.0.1",
        b"GET /health-check HTTP/9.9\r\nHost: 127.0.0.1",
        b"GET /health-check HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: snappy",
        b"GET /health-check HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Large: " + b"x" * 200_000,
    ],
)
def test_a_malformed_or_oversized_request_is_refused_before_the_app_and_the_connection_closed(port, request_head):
    lines, body = send(port, request_head + b"\r\n\r\n")
    assert lines[0] in ("HTTP/1.1 400 Bad Request", "HTTP/1.1 431 Request Header Fields Too Large")
    headers = {line.partition(":")[0].lower(): line.partition(":")[2].strip() for line in lines[1:]}
    # Refused by the server itself: the app, whose headers every answer of its own carries, never saw it.
    assert headers["connection"] == "close" and headers["content-length"] == "0" and body == b""
    assert "server" not in headers and "x-content-type-options" not in headers


def test_request_lines_up_to_64_kib_reach_the_app_whose_caps_answer_why(port):
    versions = ",".join(f"=={n}.0" for n in range(3000))
    assert_json_error(get(port, "/api/v2/projects/" + "a" * 9000), 400)
    assert_json_error(get(port, f"/api/v3/projects/boto3/downloads?versions={versions}"), 400)
    assert_json_error(get(port, "/api/v2/projects/nothing-here?" + "x" * 60_000), 404)


def test_every_answer_names_the_service_not_the_server_and_carries_the_security_headers(port):
    answers = {
        target: get(port, target)
        for target in ("/health-check", "/badge/nothing-here", "/docs", "/nothing/here", "/x?" + "y" * 9000)
    }
    assert [answer.status for answer in answers.values()] == [200, 404, 200, 404, 404]
    for target, answer in answers.items():
        assert answer.getheader("Server") == "pepy", target
        assert answer.getheader("X-Content-Type-Options") == "nosniff", target
        assert answer.getheader("Referrer-Policy") == "no-referrer", target
        assert "Content-Security-Policy" in answer.headers, target
    assert "X-Frame-Options" not in answers["/badge/nothing-here"].headers


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return result


def test_under_the_server_every_request_is_logged_and_counted(database_url, tmp_path):
    log = tmp_path / "server.log"
    with log.open("w") as stderr, live_server.api_server(database_url, tmp_path, stderr=stderr) as server:
        port = urlsplit(server.base).port
        for _ in range(3):
            assert get(port, "/api/v1/projects/nothing-here").status == 404
        wait_for(lambda: log.read_text().count("GET /api/v1/projects/nothing-here 404") == 3, 10, "no log lines")
        counted = 'pepy_http_requests_total{method="GET",route="/api/v1/projects/<name:name>",status="404"} 3.0'
        wait_for(lambda: counted in get(port, "/metrics").body.decode(), 10, "requests not counted")


def both_workers(server) -> set[int]:
    """The two workers' process ids, once both are running."""
    return wait_for(lambda: len(workers := worker_pids(server.pid)) == 2 and workers, 30, "no workers")


def test_a_reload_replaces_every_worker_while_requests_go_on_answered(database_url, tmp_path):
    log = tmp_path / "server.log"
    with log.open("w") as stderr, live_server.api_server(database_url, tmp_path, workers=2, stderr=stderr) as server:
        before = both_workers(server)
        statuses, stop = [], threading.Event()

        def ask_again_and_again():
            while not stop.is_set():
                try:
                    statuses.append(live_server.get(f"{server.base}/health-check")[0])
                except OSError as error:
                    statuses.append(repr(error))

        clients = [threading.Thread(target=ask_again_and_again) for _ in range(4)]
        for client in clients:
            client.start()
        server.send_signal(signal.SIGHUP)
        # granian starts each new worker, waits 3.5 s, then stops the old one: both are replaced within ~10 s.
        after = wait_for(
            lambda: not (workers := worker_pids(server.pid)) & before and len(workers) == 2 and workers,
            30,
            "the workers were not replaced",
        )
        time.sleep(1)
        stop.set()
        for client in clients:
            client.join()
    assert after.isdisjoint(before)
    # Every answer is a 200. A connection the stopping worker had accepted but not yet read is closed unanswered:
    # 0 or 1 of about 6,000 requests per run here (README, Performance), so at most one in a thousand.
    answered = [status for status in statuses if isinstance(status, int)]
    dropped = [status for status in statuses if not isinstance(status, int)]
    assert len(statuses) > 100 and set(answered) == {200}, (len(statuses), set(answered))
    assert len(dropped) <= len(statuses) // 1000, (len(statuses), dropped[:5])
    assert all("RemoteDisconnected" in error or "Reset" in error for error in dropped), dropped[:5]


def test_a_worker_that_dies_is_replaced(database_url, tmp_path):
    with live_server.api_server(database_url, tmp_path, workers=2) as server:
        before = both_workers(server)
        dead = min(before)
        os.kill(dead, signal.SIGKILL)
        after = wait_for(
            lambda: dead not in (workers := worker_pids(server.pid)) and len(workers) == 2 and workers,
            30,
            "the dead worker was not replaced",
        )
        assert len(after & before) == 1
        assert live_server.get(f"{server.base}/health-check")[0] == 200


# tgkill(2), which gives a signal to one thread of a process: kill(2) lets the kernel choose the thread.
TGKILL = {"x86_64": 234, "aarch64": 131}


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(os.uname().machine not in TGKILL, reason="tgkill's number is known for x86_64 and aarch64")
def test_a_stop_signal_given_to_any_thread_of_a_worker_stops_it(database_url, tmp_path):
    # The kernel may give a process's signal to any of its threads; Python runs the handler in the main thread only.
    with live_server.api_server(database_url, tmp_path, workers=2) as server:
        worker = min(both_workers(server))
        others = sorted(int(thread) for thread in os.listdir(f"/proc/{worker}/task") if int(thread) != worker)
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.syscall(TGKILL[os.uname().machine], worker, others[-1], signal.SIGTERM) == 0, ctypes.get_errno()
        wait_for(lambda: not running(worker), 5, "the worker did not stop")


@pytest.mark.parametrize("whom", ["the server", "every process, as Ctrl-C does"])
def test_stopping_takes_seconds_and_leaves_no_leak_report_of_frozen_objects(database_url, tmp_path, whom):
    log = tmp_path / "server.log"
    with log.open("w") as stderr, live_server.api_server(database_url, tmp_path, workers=2, stderr=stderr) as server:
        workers = both_workers(server)
        # Once both have loaded the app: a signal during a worker's start-up is another case (the server kills a
        # worker that has not stopped after 20 s).
        # granian logs each worker's start, then its runtime's (`Started worker-1 runtime-1`).
        worker_started = re.compile(r"Started worker-\d+$", re.M)
        wait_for(lambda: len(worker_started.findall(log.read_text())) == 2, 30, "the workers did not start")
        started = time.monotonic()
        for pid in [server.pid, *(workers if whom != "the server" else ())]:
            os.kill(pid, signal.SIGINT)
        server.wait(timeout=30)
        assert time.monotonic() - started < 5, "a worker hung until it was killed"
    text = log.read_text()
    assert "shutdown completed" in text and "leaked" not in text


def test_a_worker_freezes_what_its_start_up_created_and_keeps_no_database_url_in_its_environment(database_url):
    # Full collections then scan only what requests leave behind (README, Performance); and granian copies the
    # environment into every request's environ, which must not carry the database's password.
    code = "import gc, os, pepy.infrastructure.api.wsgi\nprint(gc.get_freeze_count(), sorted(os.environ))"
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **os.environ,
            "PEPY_DATABASE_URL": database_url,
            "PEPY_READ_DATABASE_URL": database_url,
            "PEPY_ENV": "test",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.returncode == 0, loaded.stderr
    frozen, _, names = loaded.stdout.partition(" ")
    assert int(frozen) > 10_000
    assert "PEPY_DATABASE_URL" not in names and "PEPY_READ_DATABASE_URL" not in names and "PEPY_ENV" in names
