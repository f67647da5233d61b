"""Validators follow the import ledger: none before the first import, new ones after each import."""

from __future__ import annotations

from datetime import date

import pytest

from pepy.infrastructure.api.app import create_app
from tests.e2e.api_support import import_days, write_rows

pytestmark = pytest.mark.timeout(60)


def test_the_etag_changes_when_an_import_succeeds(container, tmp_path):
    first = {date(2026, 11, 19): [("late", "1.0", "pip", "3.12.1", "Linux", 2)]}
    import_days(container, write_rows(tmp_path / "a.ndjson", first), first)
    before = create_app(container).test_client().get("/api/v2/projects/late")
    second = {date(2026, 11, 20): [("late", "1.0", "pip", "3.12.1", "Linux", 3)]}
    import_days(container, write_rows(tmp_path / "b.ndjson", second), second)
    container.read_ledger.reset()  # its freshness is kept for seconds
    after = create_app(container).test_client().get("/api/v2/projects/late")

    assert before.headers["ETag"] != after.headers["ETag"]
    assert after.get_json()["total_downloads"] == 5


def test_no_import_yet_means_no_validators(container):
    response = create_app(container).test_client().get("/api/v3/top")
    assert response.status_code == 200
    assert "ETag" not in response.headers and "max-age" in response.headers["Cache-Control"]
