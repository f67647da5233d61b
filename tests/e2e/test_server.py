"""The gunicorn worker: requests gunicorn refuses before the app sees them are answered in the API's JSON with its
headers, like every other error, no answer names the server, and a worker told to quit many times at once quits."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from gunicorn.http.message import MAX_REQUEST_LINE

from tests import live_server

pytestmark = pytest.mark.timeout(60)

# The request line is the method, the target and the version: "GET " + target + " HTTP/1.1".
LINE_AROUND_TARGET = len("GET  HTTP/1.1")


@pytest.fixture(scope="module")
def port(database_url, tmp_path_factory):
    """The port of a gunicorn with the deployed configuration, on 127.0.0.1."""
    with live_server.gunicorn(database_url, tmp_path_factory.mktemp("gunicorn")) as server:
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
    assert int(response.getheader("Content-Length")) == len(response.body)
    document = json.loads(response.body)
    assert document["error"] == status and document["message"]
    return document


def test_a_request_line_over_the_limit_is_a_json_414(port):
    versions = ",".join(f"=={n}.0" for n in range(3000))
    for target in ("/api/v2/projects/" + "a" * 9000, f"/api/v3/projects/boto3/downloads?versions={versions}"):
        response = get(port, target)
        document = assert_json_error(response, 414)
        assert document["message"] == f"The request line is longer than {MAX_REQUEST_LINE} bytes"
        assert response.getheader("Connection") == "close"


def test_the_longest_request_line_gunicorn_reads_reaches_the_app(port):
    longest = "/api/v2/projects/" + "a" * (MAX_REQUEST_LINE - LINE_AROUND_TARGET - len("/api/v2/projects/"))
    # The app's own answers: unknown projects, or names over its cap.
    assert_json_error(get(port, "/api/v2/projects/" + "a" * 5000), 400)
    assert_json_error(get(port, "/api/v2/projects/" + "a" * 8000), 400)
    assert_json_error(get(port, longest), 400)
    assert_json_error(get(port, longest + "a"), 414)
    assert_json_error(get(port, "/api/v2/projects/nothing-here?" + "x" * 7900), 404)


def test_too_large_or_too_many_headers_are_a_json_431(port):
    too_large = assert_json_error(get(port, "/health-check", {"X-Large": "x" * 9000}), 431)
    assert (
        too_large["message"]
        == "The request's headers are too many or too large: at most 100 headers of 8190 bytes each"
    )
    assert_json_error(get(port, "/health-check", {f"X-Header-{n}": "x" for n in range(150)}), 431)


@pytest.mark.parametrize(
    "request_line",
    [b"GET /health-check HTTP/1.1 extra", b"G(T /health-check HTTP/1.1", b"GET /health-check HTTP/9.9", b"nonsense"],
)
def test_a_malformed_request_line_is_a_json_400(port, request_line):
    lines, body = send(port, request_line + b"\r\nHost: 127.0.0.1\r\n\r\n")
    assert lines[0] == "HTTP/1.1 400 Bad Request"
    assert {"Connection: close", "Content-Type: application/json", f"Content-Length: {len(body)}"} <= set(lines[1:])
    assert json.loads(body)["error"] == 400


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (b"Expect: 200-ok", "417 Expectation Failed"),
        (b"Transfer-Encoding: snappy", "501 Not Implemented"),
        (b"X-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off", "400 Bad Request"),
    ],
)
def test_an_expectation_a_transfer_coding_or_scheme_headers_gunicorn_refuses_are_json_too(port, header, status):
    lines, body = send(port, b"GET /health-check HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\n\r\n")
    assert lines[0] == f"HTTP/1.1 {status}"
    assert {"Content-Type: application/json", "X-Content-Type-Options: nosniff"} <= set(lines[1:])
    assert json.loads(body)["error"] == int(status[:3])


def test_no_answer_names_the_server_and_every_one_carries_the_security_headers(port):
    answers = {
        target: get(port, target)
        for target in ("/health-check", "/badge/nothing-here", "/docs", "/nothing/here", "/x?" + "y" * 9000)
    }
    assert [answer.status for answer in answers.values()] == [200, 404, 200, 404, 414]
    for target, answer in answers.items():
        assert answer.getheader("Server") is None, target
        assert answer.getheader("X-Content-Type-Options") == "nosniff", target
        assert answer.getheader("Referrer-Policy") == "no-referrer", target
        assert "Content-Security-Policy" in answer.headers, target
    assert answers["/x?" + "y" * 9000].getheader("X-Frame-Options") == "DENY"
    assert "X-Frame-Options" not in answers["/badge/nothing-here"].headers


def test_workers_quit_at_once_however_many_times_they_are_told(database_url, tmp_path):
    # Ctrl-C sends SIGINT to every process, and the master then sends its workers SIGQUIT: a signal that arrives
    # while the worker is still handling the first must change nothing.
    with live_server.gunicorn(database_url, tmp_path, workers=4) as server:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        deadline = time.monotonic() + 10
        while len(workers := {int(pid) for pid in children.read_text().split()}) < 4:
            assert time.monotonic() < deadline, "the workers did not all start"
            time.sleep(0.1)
        time.sleep(1)  # until every worker has set its signal handlers
        started = time.monotonic()
        for worker in workers:
            os.kill(worker, signal.SIGINT)
        while workers and time.monotonic() - started < 0.5:
            for worker in list(workers):
                try:
                    os.kill(worker, signal.SIGQUIT)
                except ProcessLookupError:
                    workers.discard(worker)
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        assert time.monotonic() - started < 5, "a worker hung until the master killed it"


def test_stopping_leaves_no_leak_report_of_frozen_objects(database_url, tmp_path):
    # The preloaded app is frozen before each fork; DuckDB's extension reports what is still frozen at exit.
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr, live_server.gunicorn(database_url, tmp_path, workers=2, stderr=stderr) as server:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    text = log.read_text()
    assert "Shutting down: Master" in text and "leaked" not in text
