"""Endpoints that need a scope: 401 without a valid key, 403 without the scope, before anything else is read."""

from __future__ import annotations

import pytest
from flask import jsonify

from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.scopes import requires_scope
from tests.e2e.api_support import ADMIN_SECRET, PRO_SECRET, READ_SECRET, REVOKED_SECRET

pytestmark = pytest.mark.timeout(60)

ADMIN_ROUTE = "/api/v1/admin/projects/{name}"
# No pro endpoint exists yet in this branch: a route of the test's own stands for one.
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
