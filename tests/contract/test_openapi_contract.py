"""Contract tests generated from the OpenAPI document by schemathesis, against the real app and data: every
answer matches its documented status, content type and schema, and none is a 500."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import schemathesis
from dependency_injector import providers
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pepy.application.commands import ImportDay, RefreshRankings
from pepy.domain.downloads import days_between
from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.api.openapi import _paths
from tests.e2e.api_support import ADMIN_SECRET, DAYS, LAST_DAY, close, make_container
from tests.fakes import RowsSource

pytestmark = pytest.mark.timeout(120)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12
KNOWN = {"name": "demo-pkg"}


def import_empty_days_for_trending(container) -> None:
    """The known data's gaps in the last 60 days imported as days without downloads, so that trending (which
    answers 503 over days not imported) has every day it compares."""
    container.sources.override(providers.Object(lambda name, path: RowsSource({})))
    for day in days_between(LAST_DAY - timedelta(days=59), LAST_DAY):
        if day not in DAYS:
            container.import_day()(ImportDay(day))
    container.refresh_rankings()(RefreshRankings())
    container.sources.reset_override()


@pytest.fixture(scope="module")
def schema(loaded_database):
    """The document as the app serves it, bound to the app over the known data."""
    container = make_container(loaded_database)
    import_empty_days_for_trending(container)
    yield schemathesis.openapi.from_wsgi("/openapi.json", create_app(container))
    close(container)


def run(strategy) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case):
        case.call_and_validate(checks=CHECKS)

    check()


# schemathesis leaves out the document's own path; test_api_http checks it.
@pytest.mark.parametrize("path", sorted(set(_paths()) - {"/openapi.json"}))
def test_every_answer_matches_the_document(schema, path):
    operations = [op.ok() for op in schema.get_all_operations() if op.ok().path == path]
    assert operations, f"{path} is not in the served document"
    # Without parameters, there is nothing to make invalid.
    parametrised = bool(_paths()[path]["get"]["parameters"])
    for operation in operations:
        run(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        if parametrised:
            # Some parameters have no invalid value a URL can carry (a non-empty path segment): nothing to send.
            with contextlib.suppress(Unsatisfiable):
                run(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        if "{name}" in path:
            run(operation.as_strategy(path_parameters=KNOWN, headers={"X-API-Key": ADMIN_SECRET}))
