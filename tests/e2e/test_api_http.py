"""HTTP behaviour shared by every endpoint: caching headers and 304s, CORS, the OpenAPI document and /docs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.openapi import openapi_path
from tests.e2e.api_support import ADMIN_SECRET

pytestmark = pytest.mark.timeout(60)

CACHED = [
    "/api/v2/projects/demo-pkg",
    "/api/v1/projects/demo-pkg",
    "/badge/demo-pkg",
    "/personalized-badge/demo-pkg?period=week",
    "/api/packages/demo-pkg/recent",
    "/api/packages/demo-pkg/system",
    "/api/v3/projects/demo-pkg/downloads",
    "/api/v3/projects/demo-pkg",
    "/api/v3/top",
    "/api/v3/search?q=demo",
    "/api/v3/top-pypi-packages.json",
    "/api/v3/top-pypi-packages.min.json?days=365&limit=2",
]
STALE = "stale-if-error=3600, stale-while-revalidate=60"


def at(container, instant: datetime):
    container.now.override(providers.Object(lambda: instant))
    return create_app(container).test_client()


@pytest.mark.parametrize(
    ("instant", "max_age"),
    [
        (datetime(2026, 11, 21, 16, 0, tzinfo=UTC), 3600),
        (datetime(2026, 11, 21, 16, 59, 59, tzinfo=UTC), 1),
        (datetime(2026, 11, 21, 17, 0, tzinfo=UTC), 86400),
        (datetime(2026, 11, 21, 18, 30, tzinfo=UTC), 81000),
    ],
)
def test_answers_last_until_the_next_import_at_17_utc(api, instant, max_age):
    client = at(api, instant)
    for url in CACHED:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == f"public, max-age={max_age}, {STALE}"


def test_etag_and_last_modified_come_from_the_last_successful_import(api, api_client, loaded_database):
    import psycopg2

    conn = psycopg2.connect(loaded_database)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(succeeded_at) FROM imports")
        (succeeded_at,) = cur.fetchone()
    conn.close()
    for url in CACHED:
        response = api_client.get(url)
        assert response.last_modified == succeeded_at.replace(microsecond=0), url
        etag = response.headers["ETag"]
        assert etag.startswith('"') and etag.endswith('"')

        again = api_client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", url
        assert again.headers["ETag"] == etag and "max-age" in again.headers["Cache-Control"]
        assert api_client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        assert api_client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304

        since = response.headers["Last-Modified"]
        assert api_client.get(url, headers={"If-Modified-Since": since}).status_code == 304
        earlier = "Mon, 01 Jan 2024 00:00:00 GMT"
        assert api_client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200


def test_errors_carry_no_validators(api_client):
    for url in ("/api/v2/projects/nothing-here", "/badge/nothing-here", "/api/v3/top?limit=0"):
        response = api_client.get(url)
        assert response.status_code >= 400
        assert "ETag" not in response.headers and "Cache-Control" not in response.headers


def test_the_etag_changes_with_the_date(api):
    today = api.clock()()
    before = create_app(api).test_client().get("/api/v2/projects/demo-pkg").headers["ETag"]
    api.clock.override(providers.Object(lambda: today + timedelta(days=1)))
    after = create_app(api).test_client().get("/api/v2/projects/demo-pkg").headers["ETag"]
    assert before != after


# CORS -----------------------------------------------------------------------------------------------------


def test_public_reads_are_open_to_every_origin_by_default(api_client):
    for url in [*CACHED, "/api/v2/projects/nothing-here"]:
        response = api_client.get(url, headers={"Origin": "https://example.org"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in api_client.get("/api/v3/top").headers


def test_the_admin_endpoint_is_never_shared_through_the_wildcard(api_client):
    response = api_client.get(
        "/api/v1/admin/projects/demo-pkg", headers={"Origin": "https://example.org", "X-API-Key": ADMIN_SECRET}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_allowlist_echoes_listed_origins_only(api):
    api.config.cors_origins.override("https://a.example, https://b.example/")
    client = create_app(api).test_client()

    listed = client.get("/api/v3/top", headers={"Origin": "https://b.example"})
    assert listed.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Origin" in listed.headers["Vary"]
    other = client.get("/api/v3/top", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    admin = client.get(
        "/api/v1/admin/projects/demo-pkg", headers={"Origin": "https://a.example", "X-API-Key": ADMIN_SECRET}
    )
    assert admin.headers["Access-Control-Allow-Origin"] == "https://a.example"


def test_preflight(api_client):
    response = api_client.options(
        "/api/v1/admin/projects/demo-pkg",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    public = api_client.options(
        "/api/v3/projects/demo-pkg/downloads",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in public.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in public.headers["Access-Control-Allow-Headers"]


# A trailing slash ------------------------------------------------------------------------------------------

SAME = ("Content-Type", "Cache-Control", "ETag", "Last-Modified", "Vary")


def project_routes(app) -> list[str]:
    """Every route that takes a project name, as a URL of demo-pkg."""
    return sorted(
        rule.rule.replace("<name:name>", "demo-pkg") for rule in app.url_map.iter_rules() if "name" in rule.arguments
    )


def test_every_project_route_answers_a_trailing_slash_as_without_it(api):
    # A fixed instant, so that max-age cannot tick between the two answers.
    api_client = at(api, datetime(2026, 11, 21, 16, 0, tzinfo=UTC))
    routes = project_routes(api_client.application)
    # v1, v2, admin, the four badges, pypistats' five and v3's two when this was written; routes added later too.
    assert len(routes) >= 15 and "/api/v1/admin/projects/demo-pkg" in routes, routes
    for url in [*routes, "/personalized-badge/demo-pkg?period=week", "/api/v2/projects/nothing-here"]:
        path, _, query = url.partition("?")
        slashed = f"{path}/?{query}" if query else f"{path}/"
        # The admin key has every scope, so the admin route answers too.
        without, with_slash = (api_client.get(u, headers={"X-API-Key": ADMIN_SECRET}) for u in (url, slashed))
        assert without.status_code == (404 if "nothing-here" in url else 200), url
        assert (with_slash.status_code, with_slash.data) == (without.status_code, without.data), slashed
        assert [with_slash.headers.get(h) for h in SAME] == [without.headers.get(h) for h in SAME], slashed


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/v2/projects/demo-pkg//", 400, "Invalid project name 'demo-pkg/'"),
        ("/api/v2/projects/a/b/", 400, "Invalid project name 'a/b'"),
        ("/api/v3/projects/demo-pkg/x/downloads/", 400, "Invalid project name 'demo-pkg/x'"),
        ("/api/v2/projects//", 404, "The requested URL was not found"),
        ("/api/v2/projects///", 404, "The requested URL was not found"),
        ("/api/packages///recent/", 404, "The requested URL was not found"),
        # Only routes that take a name: nginx allows /metrics by exact match, so /metrics/ must stay unanswered.
        ("/metrics/", 404, "The requested URL was not found"),
        ("/health-check/", 404, "The requested URL was not found"),
        ("/api/v3/top/", 404, "The requested URL was not found"),
    ],
)
def test_a_name_of_slashes_or_with_one_inside_is_still_refused(api_client, url, status, message):
    response = api_client.get(url)
    assert response.status_code == status, url
    assert response.get_json()["message"].startswith(message)


def test_a_badge_name_with_a_slash_inside_is_still_a_badge_saying_so(api_client):
    response = api_client.get("/badge/demo-pkg//month")
    assert response.status_code == 400 and response.mimetype == "image/svg+xml"
    assert b"invalid name" in response.data


# OpenAPI and /docs ----------------------------------------------------------------------------------------


def test_every_route_is_in_the_openapi_document_and_nothing_else(api_client):
    document = api_client.get("/openapi.json").get_json()
    app = api_client.application
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented routes the app does not have"
    assert document["openapi"].startswith("3.")


def test_docs_serve_swagger_ui_from_the_package(api_client):
    page = api_client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/docs/swagger-ui-bundle.js" in html and "/openapi.json" in html and "//" not in html.replace("://", "")
    script = api_client.get("/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and "javascript" in script.mimetype and len(script.data) > 100_000
    assert api_client.get("/docs/swagger-ui.css").status_code == 200
    for missing in ("/docs/nothing.js", "/docs/../app.py", "/docs/%2e%2e/%2e%2e/etc/passwd"):
        response = api_client.get(missing)
        assert response.status_code == 404 and response.content_type == "application/json"


# The answer cache ----------------------------------------------------------------------------------------


def test_an_answer_is_read_once_per_import_then_served_from_memory(api, monkeypatch):
    client = create_app(api).test_client()
    first = client.get("/api/v2/projects/demo-pkg")

    def unreadable(*args):
        raise AssertionError("read the database again")

    monkeypatch.setattr(api.read_store(), "version_downloads", unreadable)
    again = client.get("/api/v2/projects/demo-pkg")
    assert (again.status_code, again.data, again.headers["ETag"]) == (200, first.data, first.headers["ETag"])
    assert again.content_type == "application/json"
    assert client.get("/api/v2/projects/demo-pkg", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_the_answer_cache_is_bounded_by_bytes():
    from werkzeug.wrappers import Response

    from pepy.infrastructure.api.caching import AnswerCache

    cache = AnswerCache(max_bytes=1000)
    cache.put(("big",), Response(b"x" * 101))
    assert cache.get(("big",)) is None
    for n in range(20):
        cache.put((n,), Response(b"y" * 100))
    assert cache.get((0,)) is None and cache.get((19,)) == (b"y" * 100, "text/plain; charset=utf-8")
    assert sum(cache.get((n,)) is not None for n in range(20)) == 10
