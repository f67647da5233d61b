"""pepy.tech's Pro rules: the two ranges end on the last imported day, CI left out exactly where the day has the
split and said missing where it has not, and countries most downloaded first."""

import json
from datetime import date

import pytest

from pepy.application.queries.pepy_tech_pro import (
    GetCountryDownloads,
    GetCountryDownloadsHandler,
    GetProDownloads,
    GetProDownloadsHandler,
    TimeRange,
)
from pepy.domain.downloads import Breakdown
from pepy.domain.errors import InvalidProjectName, ProjectNotFound
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore, StoredProject

LAST_DAY = date(2026, 11, 20)
FOUR_MONTHS_START = date(2026, 7, 24)  # 120 days ending on the 20th
ONE_YEAR_START = date(2025, 11, 21)  # 365 days

DEMO = StoredProject(
    "demo-pkg",
    versions={
        date(2025, 11, 20): {"0.9": (9, 9)},
        ONE_YEAR_START: {"1.0": (8, 8)},
        date(2026, 7, 23): {"1.0": (7, 7)},
        FOUR_MONTHS_START: {"1.0": (6, 6)},
        date(2026, 11, 19): {"1.0": (5, 5), "2.0": (4, 4)},
        LAST_DAY: {"1.0": (10, 9), "2.0": (3, 3)},
    },
    # The 19th and the 20th were imported with the CI split; the older days before it existed.
    ci={date(2026, 11, 19): {"1.0": 2, "2.0": 4}, LAST_DAY: {"1.0": 0, "2.0": 1}},
    categories={
        Breakdown.COUNTRY: {
            LAST_DAY: {"US": (5, 5), "DE": (5, 5), None: (2, 2), "FR": (1, 0), "CN": (9, 8)},
            date(2026, 7, 1): {"US": (1, 1)},
        }
    },
)


def handler(handler_class):
    return handler_class(FakeReadStore(DEMO), FakeLedger(last_day=LAST_DAY), lambda: TODAY)


def downloads(query):
    found = handler(GetProDownloadsHandler)(query)
    return found, json.loads(found.documents.downloads_json)


@pytest.mark.parametrize(
    ("time_range", "start", "first_day"),
    [(TimeRange.FOUR_MONTHS, FOUR_MONTHS_START, "2026-07-24"), (TimeRange.ONE_YEAR, ONE_YEAR_START, "2025-11-21")],
)
def test_each_range_ends_on_the_last_imported_day(time_range, start, first_day):
    found, days = downloads(GetProDownloads("Demo_Pkg", time_range))

    assert (found.start, found.end) == (start, LAST_DAY)
    assert (min(days), max(days)) == (first_day, "2026-11-20")
    assert days["2026-11-20"] == {"1.0": 10, "2.0": 3}


def test_the_default_is_four_months_with_ci():
    found, days = downloads(GetProDownloads("demo-pkg"))

    assert (found.start, found.include_ci) == (FOUR_MONTHS_START, True)
    assert found.documents.days_without_ci_split == []
    assert list(days) == ["2026-07-24", "2026-11-19", "2026-11-20"]


def test_without_ci_is_exact_where_a_day_has_the_split_and_missing_where_it_has_not():
    found, days = downloads(GetProDownloads("demo-pkg", TimeRange.FOUR_MONTHS, include_ci=False))

    # 2.0 on the 19th was downloaded only by CI, so it has no downloads without it.
    assert days == {"2026-11-19": {"1.0": 3}, "2026-11-20": {"1.0": 10, "2.0": 2}}
    assert found.documents.days_without_ci_split == [FOUR_MONTHS_START]


def test_countries_per_day_most_downloaded_first_unknown_last_among_equals_mirrors_left_out():
    found = handler(GetCountryDownloadsHandler)(GetCountryDownloads("demo-pkg"))

    assert (found.start, found.end) == (FOUR_MONTHS_START, LAST_DAY)
    assert found.days == {LAST_DAY: [("CN", 8), ("DE", 5), ("US", 5), (None, 2)]}


def test_a_year_of_countries_reaches_further_back():
    found = handler(GetCountryDownloadsHandler)(GetCountryDownloads("demo-pkg", TimeRange.ONE_YEAR))

    assert list(found.days) == [date(2026, 7, 1), LAST_DAY]


@pytest.mark.parametrize("handler_class", [GetProDownloadsHandler, GetCountryDownloadsHandler])
def test_unknown_and_invalid_projects(handler_class):
    query_class = GetProDownloads if handler_class is GetProDownloadsHandler else GetCountryDownloads
    with pytest.raises(ProjectNotFound, match="nothing-here"):
        handler(handler_class)(query_class("nothing-here"))
    with pytest.raises(InvalidProjectName):
        handler(handler_class)(query_class("-bad-"))
