"""One log line per request: readable in development; JSON fields in production, without probes and badges."""

from __future__ import annotations

import io
import json
import logging
import re
import sys

import pytest

from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.request_log import uri_as_sent
from pepy.infrastructure.logging import configure_logging

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def logs(monkeypatch):
    """Installs the process's logging for an environment, writing to a buffer it returns; restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def configure(env: str) -> io.StringIO:
        stream = io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        configure_logging(env)
        return stream

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)


def test_development_prints_method_path_status_and_milliseconds_for_every_request(api, logs):
    stream = logs("development")
    client = create_app(api).test_client()
    paths = [
        ("/api/v3/projects/demo-pkg/downloads?granularity=week&mirrors=false", 200),
        ("/api/v2/projects/nothing-here", 404),
        ("/badge/demo-pkg", 200),
        ("/health-check", 200),
        # Sent percent-encoded, logged as sent: a newline in a name cannot forge a second line.
        ("/api/v2/projects/a%0Ab", 400),
    ]
    for path, status in paths:
        assert client.get(path).status_code == status, path
    lines = [line for line in stream.getvalue().splitlines() if " pepy.request: " in line]
    assert len(lines) == len(paths)
    for line, (path, status) in zip(lines, paths, strict=True):
        assert re.fullmatch(rf".* INFO +pepy\.request: GET {re.escape(path)} {status} \d+\.\d ms", line), line


def test_production_logs_json_fields_without_probes_and_successful_badges(api, logs):
    stream = logs("production")
    api.config.env.override("production")
    client = create_app(api).test_client()
    etag = client.get("/badge/demo-pkg").headers["ETag"]
    for left_out in ("/health-check", "/ready", "/metrics", "/personalized-badge/demo-pkg?period=week"):
        client.get(left_out)
    assert client.get("/badge/demo-pkg", headers={"If-None-Match": etag}).status_code == 304
    logged = [
        ("GET", "/api/v3/top?period=year", 400),
        ("GET", "/api/v1/projects/demo-pkg", 200),
        ("GET", "/badge/nothing-here", 404),
        ("GET", "/personalized-badge/demo-pkg?period=year", 400),
        ("POST", "/api/v3/top", 405),
    ]
    for method, path, status in logged:
        assert client.open(path, method=method).status_code == status, path

    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    requests = [r for r in records if r["name"] == "pepy.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == logged
    for record in requests:
        assert record["message"] == "request" and record["level"] == "INFO"
        assert isinstance(record["ms"], float) and record["ms"] >= 0


@pytest.mark.parametrize(
    ("environ", "logged"),
    [
        ({"RAW_URI": "/api/v2/projects/a%0Ab?x=1"}, "/api/v2/projects/a%0Ab?x=1"),
        ({"REQUEST_URI": "/badge/a%20b"}, "/badge/a%20b"),
        # A server that keeps no raw URI (granian): the decoded path, escaped again; a query's escapes stay.
        ({"PATH_INFO": "/api/v2/projects/a\nb", "QUERY_STRING": "x=%0A&y=1 2"}, "/api/v2/projects/a%0Ab?x=%0A&y=1%202"),
        ({"SCRIPT_NAME": "", "PATH_INFO": "/projects/caf\xc3\xa9"}, "/projects/caf%C3%A9"),
    ],
)
def test_the_logged_uri_is_as_sent_whatever_the_server_keeps(environ, logged):
    assert uri_as_sent(environ) == logged
