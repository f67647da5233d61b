"""Security headers on every route and every kind of answer (data, images, pages), errors, refusals, 304s and
preflights included; every inline script of a page allowed by its hash and nothing else."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
from flask import Flask

from pepy.infrastructure.api import security_headers
from pepy.infrastructure.api.app import create_app
from tests.e2e.api_support import ADMIN_SECRET

pytestmark = pytest.mark.timeout(60)

# A value for each route argument: a project with downloads, and one of Swagger UI's files.
ARGUMENTS = {"name": "demo-pkg", "filename": "swagger-ui.css"}
DATA_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
# Sources a page may name: its own origin, data: images, hashed inline scripts; never a host or 'unsafe-...'.
PAGE_SOURCE = re.compile(r"'self'|'none'|data:|'sha256-[A-Za-z0-9+/]+={0,2}'")


def route_urls(app) -> list[str]:
    """A URL of every route of the app, routes added later included."""
    return sorted(
        {re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ARGUMENTS[m.group(1)], rule.rule) for rule in app.url_map.iter_rules()}
    )


def policy_of(response) -> dict[str, list[str]]:
    directives = (d.split() for d in response.headers["Content-Security-Policy"].split(";") if d.strip())
    return {name: sources for name, *sources in directives}


class InlineScripts(HTMLParser):
    """The text of every <script> without a src."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[str] = []
        self._inline = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._inline = tag == "script" and "src" not in dict(attrs)
        if self._inline:
            self.scripts.append("")

    def handle_data(self, data):
        if self._inline:
            self.scripts[-1] += data

    def handle_endtag(self, tag):
        self._inline = False


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def kind_checked(response, url: str = "") -> str:
    """Assert the headers every answer carries and those of what it holds; say which kind it was."""
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", url
    assert headers["Referrer-Policy"] == "no-referrer", url
    assert headers["X-Permitted-Cross-Domain-Policies"] == "none", url
    if response.status_code == 304:
        for header in ("Content-Security-Policy", "X-Frame-Options", "Cross-Origin-Resource-Policy"):
            assert header not in headers, (url, header)
        return "304"
    policy = policy_of(response)
    if response.mimetype.startswith("image/"):
        # Embeddable anywhere; no script, no fetch.
        assert policy == {"default-src": ["'none'"], "style-src": ["'unsafe-inline'"]}, url
        assert "X-Frame-Options" not in headers, url
        assert headers["Cross-Origin-Resource-Policy"] == "cross-origin", url
        return "image"
    assert headers["X-Frame-Options"] == "DENY", url
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin", url
    if response.mimetype != "text/html":
        assert policy == DATA_POLICY, url
        return "data"
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], url
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"], url
    assert all(PAGE_SOURCE.fullmatch(s) for sources in policy.values() for s in sources), policy
    if response.data:  # not a HEAD nor a preflight
        inline = InlineScripts(response.get_data(as_text=True)).scripts
        allowed = [s for s in policy["script-src"] if s != "'self'"]
        assert sorted(allowed) == sorted(sha256_source(script) for script in inline), url
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", url
    assert "camera=()" in headers["Permissions-Policy"], url
    return "page"


def test_every_route_answers_with_the_headers_of_what_it_holds(api_client):
    urls = route_urls(api_client.application)
    # Every family when this was written: v1, v2, admin, Pro, pypistats, v3, badges, charts, docs, operations.
    assert len(urls) >= 25, urls
    kinds = {}
    for url in urls:
        # The admin key has every scope, so keyed routes answer their data too.
        response = api_client.get(url, headers={"X-API-Key": ADMIN_SECRET})
        # A 503 is a designed answer too (trending over the known data's missing days), and carries the headers.
        assert response.status_code < 500 or response.status_code == 503, url
        kinds[url] = kind_checked(response, url)
        kind_checked(api_client.head(url, headers={"X-API-Key": ADMIN_SECRET}), url)
    assert kinds["/badge/demo-pkg"] == kinds["/personalized-badge/demo-pkg"] == "image"
    assert kinds["/chart/demo-pkg.svg"] == kinds["/chart/demo-pkg.png"] == "image"
    assert kinds["/docs"] == kinds["/"] == kinds["/projects/demo-pkg"] == kinds["/compare"] == "page"
    assert kinds["/api/v3/projects/demo-pkg"] == kinds["/metrics"] == kinds["/docs/swagger-ui.css"] == "data"


@pytest.mark.parametrize(
    ("method", "url", "status", "kind"),
    [
        ("GET", "/nothing/here", 404, "page"),
        ("GET", "/api/nothing/here", 404, "data"),
        ("GET", "/projects/nothing-here", 404, "page"),
        ("GET", "/projects/demo-pkg?period=5y", 400, "page"),
        ("GET", "/api/v2/projects/nothing-here", 404, "data"),
        ("GET", "/docs/nothing.js", 404, "data"),
        ("GET", "/badge/nothing-here", 404, "image"),
        ("GET", "/badge/demo-pkg?style=nonsense", 400, "image"),
        ("GET", "/api/v3/top?limit=0", 400, "data"),
        ("GET", "/api/v3/projects/demo-pkg/downloads?start=yesterday", 400, "data"),
        ("GET", "/api/v1/admin/projects/demo-pkg", 401, "data"),
        ("POST", "/api/v2/projects/demo-pkg", 405, "data"),
        ("DELETE", "/badge/demo-pkg", 405, "data"),
        ("OPTIONS", "/docs", 200, "page"),
    ],
)
def test_errors_answer_with_the_same_headers(api_client, method, url, status, kind):
    response = api_client.open(url, method=method)
    assert response.status_code == status
    assert kind_checked(response, url) == kind


def test_a_304_leaves_the_stored_answers_policy_in_force(api_client):
    for url in ("/api/v2/projects/demo-pkg", "/badge/demo-pkg", "/api/packages/demo-pkg/recent"):
        etag = api_client.get(url).headers["ETag"]
        assert kind_checked(api_client.get(url, headers={"If-None-Match": etag}), url) == "304"
    asset = api_client.get("/docs/swagger-ui.css")
    again = api_client.get("/docs/swagger-ui.css", headers={"If-None-Match": asset.headers["ETag"]})
    assert kind_checked(again) == "304"


def test_a_rate_limit_refusal_carries_the_headers(api):
    api.config.rate_limit_tiers.from_value("anonymous:60:1")
    for provider in (api.tiers, api.admit_request):
        provider.reset()
    client = create_app(api).test_client()
    answers = [client.get("/api/v2/projects/demo-pkg") for _ in range(2)]
    assert answers[1].status_code == 429
    assert kind_checked(answers[1]) == "data"


def test_cors_and_its_preflight_keep_working_beside_the_headers(api_client):
    preflight = api_client.options(
        "/api/v3/projects/demo-pkg/downloads",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    kind_checked(preflight)
    answer = api_client.get("/badge/demo-pkg", headers={"Origin": "https://example.org"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert kind_checked(answer) == "image"


def test_a_view_names_its_inline_scripts_and_pages_allow_no_other():
    app = Flask("pages")
    app.register_blueprint(security_headers.blueprint)
    copy = "navigator.clipboard.writeText(document.getElementById('snippet').textContent);"

    @app.get("/with-script")
    @security_headers.inline_scripts(copy)
    def with_script():
        return f"<!doctype html><title>x</title><script>{copy}</script>"

    @app.get("/without")
    def without():
        return "<!doctype html><title>x</title><p>no script</p>"

    client = app.test_client()
    assert policy_of(client.get("/with-script"))["script-src"] == ["'self'", sha256_source(copy)]
    assert kind_checked(client.get("/with-script")) == kind_checked(client.get("/without")) == "page"
    assert policy_of(client.get("/without"))["script-src"] == ["'self'"]


def test_script_hashes_are_the_ones_browsers_compute():
    # Chromium's own message for this inline script named this hash.
    assert (
        security_headers.script_hash("console.error('hi')") == "'sha256-PMVqKzO957KrrY6BDZ9GHMRMGXv0Gn6OZzjrkM1qVSE='"
    )
