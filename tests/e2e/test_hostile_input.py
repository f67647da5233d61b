"""Pinned hostile inputs: every one is answered with a 4xx that says why (or a correct 2xx), never a 500."""

from __future__ import annotations

import pytest

# Every route, with a known project where it takes one.
ROUTES = [
    "/api/v2/projects/{name}",
    "/api/projects/{name}",
    "/api/v1/projects/{name}",
    "/badge/{name}",
    "/badge/{name}/month",
    "/personalized-badge/{name}",
    "/api/packages/{name}/recent",
    "/api/packages/{name}/overall",
    "/api/packages/{name}/python_major",
    "/api/packages/{name}/python_minor",
    "/api/packages/{name}/system",
    "/api/v3/projects/{name}",
    "/api/v3/projects/{name}/downloads",
]
HOSTILE_NAMES = [
    "a" * 100_000,
    "%00",
    "demo-pkg%00",
    "%0d%0aSet-Cookie:%20x=1",
    "%E2%80%AE%E2%80%8Bdemo",
    "%F0%9F%92%A9",
    "%C0%AF",
    "%25%32%65%25%32%65",
    "..%2F..%2Fetc%2Fpasswd",
    "'%3B%20DROP%20TABLE%20projects%3B--",
    "demo-pkg'%20OR%20'1'='1",
    "%5C%5C",
    "*",
    "demo_pkg%",
]
HOSTILE_QUERIES = [
    ("/api/v3/projects/demo-pkg/downloads", "start=2015-12-31"),
    ("/api/v3/projects/demo-pkg/downloads", "start=1970-01-01&end=2999-12-31"),
    ("/api/v3/projects/demo-pkg/downloads", "end=2999-01-01"),
    ("/api/v3/projects/demo-pkg/downloads", "start=2026-11-20&end=2026-11-01"),
    ("/api/v3/projects/demo-pkg/downloads", "start=2016-01-22&end=2026-11-20&granularity=day&breakdown=version"),
    ("/api/v3/projects/demo-pkg/downloads", "start=2026-02-30"),
    ("/api/v3/projects/demo-pkg/downloads", "start=20261101"),
    ("/api/v3/projects/demo-pkg/downloads", "granularity=hour"),
    ("/api/v3/projects/demo-pkg/downloads", "granularity=day&granularity=week"),
    ("/api/v3/projects/demo-pkg/downloads", "breakdown=version;DROP"),
    ("/api/v3/projects/demo-pkg/downloads", "versions=>=2,<3,,,~=~="),
    ("/api/v3/projects/demo-pkg/downloads", "versions=" + "1" * 5000),
    ("/api/v3/projects/demo-pkg/downloads", "mirrors=maybe"),
    ("/api/v3/projects/demo-pkg/downloads", "format=xml"),
    ("/api/v3/top", "limit=0"),
    ("/api/v3/top", "limit=-1"),
    ("/api/v3/top", "limit=101"),
    ("/api/v3/top", "limit=99999999999999999999999"),
    ("/api/v3/top", "limit=1e3"),
    ("/api/v3/top", "period=year"),
    ("/api/v3/top", "limit=5&limit=6"),
    ("/api/v3/search", "q=%25"),
    ("/api/v3/search", "q=_"),
    ("/api/v3/search", "q=" + "x" * 10_000),
    ("/api/v3/search", "q=%00"),
    ("/api/v3/search", "q=%FF%FE"),
    ("/api/packages/demo-pkg/recent", "period=forever"),
    ("/api/packages/demo-pkg/overall", "start_date=2026-13-01"),
    ("/api/packages/demo-pkg/overall", "start_date=2026-11-20&end_date=2026-01-01"),
    ("/api/packages/demo-pkg/system", "os=%00"),
    ("/personalized-badge/demo-pkg", "period=year"),
    ("/personalized-badge/demo-pkg", "units=roman"),
    ("/personalized-badge/demo-pkg", "left_color=javascript:alert(1)"),
    ("/personalized-badge/demo-pkg", "left_text=" + "<script>" * 2000),
    ("/personalized-badge/demo-pkg", "style=%00"),
]


def assert_refused_cleanly(response) -> None:
    assert response.status_code < 500, response.get_data()[:300]
    if response.status_code >= 400 and not response.content_type.startswith("image/svg+xml"):
        assert response.content_type == "application/json"
        body = response.get_json()
        assert body["error"] == response.status_code and body["message"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_on_every_route(api_client, route, name):
    response = api_client.get(route.format(name=name))
    assert_refused_cleanly(response)
    assert response.status_code in (400, 404)


@pytest.mark.parametrize(("path", "query"), HOSTILE_QUERIES)
def test_hostile_parameters(api_client, path, query):
    response = api_client.get(f"{path}?{query}")
    assert_refused_cleanly(response)
    assert response.status_code == 400, response.get_data()[:300]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("route", ["/api/v2/projects/demo-pkg", "/badge/demo-pkg", "/api/v3/top"])
def test_wrong_methods_are_405_json(api_client, method, route):
    response = api_client.open(route, method=method, data=b"x" * 1_000_000)
    assert response.status_code == 405
    assert response.get_json()["error"] == 405


def test_an_oversized_request_is_refused_without_reading_it(api_client):
    response = api_client.get("/api/v3/top", data=b"x" * 20_000_000, headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 413)
    assert_refused_cleanly(response)


def test_the_escaped_badge_text_cannot_inject_markup(api_client):
    body = api_client.get("/personalized-badge/demo-pkg?left_text=%3Cscript%3Ealert(1)%3C/script%3E").get_data()
    assert b"<script>" not in body and b"&lt;script&gt;" in body
