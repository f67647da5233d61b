"""API keys over HTTP: an endpoint that needs a scope refuses (401 without a valid key, 403 without the scope) before
it reads anything; an endpoint that needs no key answers an unknown or revoked key as anonymous, and says so."""

from __future__ import annotations

import pytest
from flask import jsonify

from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.scopes import requires_scope
from tests.e2e.api_support import ADMIN_SECRET, PRO_SECRET, READ_SECRET, REVOKED_SECRET

pytestmark = pytest.mark.timeout(60)

ADMIN_ROUTE = "/api/v1/admin/projects/{name}"
# A route of the test's own, reading nothing: the decorator alone decides its answer.
PRO_ROUTE = "/test-only/pro/projects/{name}"
NO_KEY = "A valid X-API-Key header is required"
UNKNOWN_KEY = "A valid X-API-Key header is required: this key is unknown or revoked"


@pytest.fixture
def client(api):
    app = create_app(api)

    @app.get("/test-only/pro/projects/<name:name>")
    @requires_scope("pro")
    def pro_only(name: str):
        return jsonify(project=name)

    return app.test_client()


def headers(secret: str | None) -> dict:
    return {} if secret is None else {"X-API-Key": secret}


@pytest.mark.parametrize(
    ("route", "secret", "status", "message"),
    [
        (ADMIN_ROUTE, None, 401, NO_KEY),
        (ADMIN_ROUTE, "pepy_unknown", 401, UNKNOWN_KEY),
        (ADMIN_ROUTE, "undefined", 401, UNKNOWN_KEY),
        (ADMIN_ROUTE, REVOKED_SECRET, 401, UNKNOWN_KEY),
        (ADMIN_ROUTE, READ_SECRET, 403, "This key lacks the admin scope"),
        (ADMIN_ROUTE, PRO_SECRET, 403, "This key lacks the admin scope"),
        (PRO_ROUTE, None, 401, NO_KEY),
        (PRO_ROUTE, "pepy_unknown", 401, UNKNOWN_KEY),
        (PRO_ROUTE, "undefined", 401, UNKNOWN_KEY),
        (PRO_ROUTE, REVOKED_SECRET, 401, UNKNOWN_KEY),
        (PRO_ROUTE, READ_SECRET, 403, "This key lacks the pro scope"),
    ],
)
def test_a_key_without_the_scope_is_refused_before_the_project_is_looked_up(client, route, secret, status, message):
    for name in ("demo-pkg", "nothing-here", "-invalid-"):
        response = client.get(route.format(name=name), headers=headers(secret))
        assert response.status_code == status
        assert response.get_json() == {"error": status, "message": message}
        assert response.headers["WWW-Authenticate"] == "X-API-Key"
        assert "X-API-Key" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("route", "secret"), [(ADMIN_ROUTE, ADMIN_SECRET), (PRO_ROUTE, PRO_SECRET), (PRO_ROUTE, ADMIN_SECRET)]
)
def test_a_key_with_the_scope_or_admin_is_answered(client, route, secret):
    response = client.get(route.format(name="demo-pkg"), headers=headers(secret))
    assert response.status_code == 200
    assert response.get_json()["id" if route == ADMIN_ROUTE else "project"] == "demo-pkg"


def test_an_unknown_scope_is_refused_when_the_view_is_defined():
    with pytest.raises(ValueError, match="Unknown scope 'Pro': use one of read, pro, admin"):
        requires_scope("Pro")


PUBLIC = [
    "/api/v2/projects/demo-pkg",
    "/api/v1/projects/demo-pkg",
    "/api/packages/demo-pkg/recent",
    "/api/v3/projects/demo-pkg",
    "/api/v3/projects/demo-pkg/downloads",
    "/api/v3/projects/nothing-here",
]


@pytest.mark.parametrize("secret", ["pepy_from-pepy-tech", "undefined", "ß", REVOKED_SECRET])
def test_an_unknown_or_revoked_key_on_a_public_endpoint_is_answered_as_anonymous(client, secret):
    for url in PUBLIC:
        anonymous = client.get(url)
        response = client.get(url, headers={"X-API-Key": secret, "Origin": "https://example.org"})
        assert (response.status_code, response.data) == (anonymous.status_code, anonymous.data), url
        assert response.headers["X-API-Key-Status"] == "unknown; answered as anonymous"
        assert "X-API-Key-Status" in response.headers["Access-Control-Expose-Headers"]
        assert "X-API-Key-Status" not in anonymous.headers


@pytest.mark.parametrize("secret", [READ_SECRET, PRO_SECRET, ADMIN_SECRET])
def test_a_valid_key_on_a_public_endpoint_carries_no_key_status(client, secret):
    response = client.get("/api/v2/projects/demo-pkg", headers={"X-API-Key": secret})
    assert response.status_code == 200 and "X-API-Key-Status" not in response.headers
