"""The `pypistats` command-line client, unchanged, against a live server of this app."""

from __future__ import annotations

import json
import threading

import pypistats
import pypistats._cache
import pytest
from werkzeug.serving import make_server

from pepy.infrastructure.api.app import create_app
from tests.e2e.api_support import RECENT

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def live_server(api, tmp_path, monkeypatch):
    """The app on 127.0.0.1:<free port>, with pypistats pointed at it and caching into tmp_path."""
    server = make_server("127.0.0.1", 0, create_app(api), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(pypistats, "BASE_URL", f"http://127.0.0.1:{server.server_port}/api/")
    # The client caches each URL's answer for the day; the cache must not outlive the test.
    monkeypatch.setattr(pypistats._cache, "CACHE_DIR", tmp_path / "cache")
    yield
    server.shutdown()
    thread.join()


def rows(output: str) -> list[dict]:
    return json.loads(output)["data"]


def test_recent(live_server):
    assert json.loads(pypistats.recent("Demo.Pkg", format="json")) == RECENT
    assert "16" in pypistats.recent("demo-pkg", period="week", format="markdown")


def test_overall(live_server):
    totals = {r["category"]: r["downloads"] for r in rows(pypistats.overall("demo-pkg", format="json"))}
    # The client sums the 180-day window; 2026-05-24 (40 downloads) is outside it.
    assert totals == {"with_mirrors": 86, "without_mirrors": 83}
    daily = rows(pypistats.overall("demo-pkg", mirrors=False, total="daily", format="json"))
    assert {"category": "without_mirrors", "date": "2026-11-20", "downloads": 9} in daily
    assert {r["category"] for r in daily} == {"without_mirrors"}


def test_python_minor(live_server):
    totals = {r["category"]: r["downloads"] for r in rows(pypistats.python_minor("demo-pkg", format="json"))}
    assert totals == {"3.8": 30, "3.12": 46, "3.13": 1, "3.11": 3, "2.7": 2, "null": 1}
    one = rows(pypistats.python_minor("demo-pkg", version="3.11", total="daily", format="json"))
    assert one == [{"category": "3.11", "date": "2026-11-20", "downloads": 3}]


def test_system(live_server):
    totals = {r["category"]: r["downloads"] for r in rows(pypistats.system("demo-pkg", format="json"))}
    assert totals == {"Linux": 77, "Windows": 5, "Darwin": 1}
    table = pypistats.system("demo-pkg", os="linux", format="markdown", color="no")
    assert "Linux" in table and "77" in table


def test_an_unknown_package_is_an_http_error(live_server):
    with pytest.raises(Exception, match="HTTP Error 404"):
        pypistats.recent("nothing-here", format="json")
