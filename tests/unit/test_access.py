"""A key's scopes: admin implies every other scope."""

from datetime import UTC, datetime

import pytest

from pepy.domain.access import ApiKey


@pytest.mark.parametrize(
    ("scopes", "has_read_pro_admin"),
    [
        (("read",), [True, False, False]),
        (("read", "pro"), [True, True, False]),
        (("read", "admin"), [True, True, True]),
        (("admin",), [True, True, True]),
    ],
)
def test_a_key_has_its_own_scopes_and_admin_has_every_scope(scopes, has_read_pro_admin):
    key = ApiKey(1, "partner", "free", scopes, datetime(2026, 11, 21, tzinfo=UTC), None)
    assert [key.has_scope(scope) for scope in ("read", "pro", "admin")] == has_read_pro_admin
