"""pepy.tech's rules: v2's window and version order, v1's 30 days, and the badges' counts."""

import json
from datetime import date

import pytest

from pepy.application.queries.pepy_tech import (
    GetBadgeCount,
    GetBadgeCountHandler,
    GetDailyDownloads,
    GetDailyDownloadsHandler,
    GetProject,
    GetProjectHandler,
    Period,
)
from pepy.domain.downloads import next_month, v2_window_start
from pepy.domain.errors import InvalidProjectName, ProjectNotFound
from pepy.domain.read_models import DayTotal, ProjectDays
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore, StoredProject

LAST_DAY = date(2026, 11, 20)

DEMO = StoredProject(
    "demo-pkg",
    base=1000,
    versions={
        date(2020, 1, 1): {"1.0": (100, 90)},
        date(2026, 7, 31): {"1.0": (3, 3)},
        date(2026, 8, 1): {"1.0": (4, 4)},
        date(2026, 10, 21): {"1.0": (40, 30)},
        date(2026, 10, 22): {"1.0": (20, 19)},
        date(2026, 11, 13): {"1.0": (7, 6)},
        date(2026, 11, 14): {"2.0": (5, 5)},
        date(2026, 11, 20): {"2.0": (6, 4), "10.0": (3, 3), "2.0rc1": (1, 1), "nightly": (1, 1)},
    },
)
WEEK, WEEK_WITHOUT_MIRRORS = 16, 14
MONTH, MONTH_WITHOUT_MIRRORS = 43, 39
TOTAL = 1000 + 190
TOTAL_WITHOUT_MIRRORS = 1000 + 166


def handler(handler_class, last_day=LAST_DAY):
    return handler_class(FakeReadStore(DEMO), FakeLedger(last_day=last_day), lambda: TODAY)


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 11, 21), date(2026, 8, 1)),
        (date(2026, 3, 1), date(2025, 12, 1)),
        (date(2026, 3, 2), date(2025, 12, 1)),
        (date(2026, 2, 28), date(2025, 11, 1)),
        (date(2026, 1, 15), date(2025, 10, 1)),
    ],
)
def test_v2_starts_on_the_first_of_the_month_90_days_ago(today, start):
    assert v2_window_start(today) == start


@pytest.mark.parametrize(
    ("day", "following"),
    [
        (date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 1, 31), date(2026, 2, 1)),
        (date(2024, 2, 29), date(2024, 3, 1)),
        (date(2026, 12, 15), date(2027, 1, 1)),
    ],
)
def test_the_next_month_starts_on_its_first_day_whatever_the_day_given(day, following):
    assert next_month(day) == following


def test_v2_reads_from_the_first_of_the_month_90_days_ago_to_today():
    found = handler(GetProjectHandler)(GetProject("Demo_Pkg"))

    assert found.name == "demo-pkg"
    assert found.total_downloads == TOTAL
    assert list(json.loads(found.downloads_json)) == [
        "2026-08-01",
        "2026-10-21",
        "2026-10-22",
        "2026-11-13",
        "2026-11-14",
        "2026-11-20",
    ]
    assert json.loads(found.downloads_json)["2026-11-20"] == {"2.0": 6, "10.0": 3, "2.0rc1": 1, "nightly": 1}


def test_v2_lists_versions_in_pep_440_order_invalid_ones_last():
    assert handler(GetProjectHandler)(GetProject("demo-pkg")).versions == ["1.0", "2.0rc1", "2.0", "10.0", "nightly"]


def test_v2_with_all_days_reads_every_stored_day():
    found = handler(GetProjectHandler)(GetProject("demo-pkg", all_days=True))

    assert list(json.loads(found.downloads_json))[:2] == ["2020-01-01", "2026-07-31"]
    assert found.total_downloads == TOTAL


def test_v1_reads_the_30_days_ending_on_the_last_imported_day():
    found = handler(GetDailyDownloadsHandler, last_day=date(2026, 11, 19))(GetDailyDownloads("Demo.Pkg"))

    assert found == ProjectDays(
        "demo-pkg",
        TOTAL,
        [
            DayTotal(date(2026, 10, 21), 40, 30),
            DayTotal(date(2026, 10, 22), 20, 19),
            DayTotal(date(2026, 11, 13), 7, 6),
            DayTotal(date(2026, 11, 14), 5, 5),
        ],
    )


def test_v1_before_any_import_ends_yesterday():
    found = handler(GetDailyDownloadsHandler, last_day=None)(GetDailyDownloads("demo-pkg"))

    assert [day.day for day in found.days] == [date(2026, 10, 22), date(2026, 11, 13), date(2026, 11, 14), LAST_DAY]


@pytest.mark.parametrize(
    ("period", "mirrors", "count"),
    [
        (Period.TOTAL, True, TOTAL),
        (Period.TOTAL, False, TOTAL_WITHOUT_MIRRORS),
        (Period.MONTH, True, MONTH),
        (Period.MONTH, False, MONTH_WITHOUT_MIRRORS),
        (Period.WEEK, True, WEEK),
        (Period.WEEK, False, WEEK_WITHOUT_MIRRORS),
    ],
)
def test_badges_count_the_period_with_or_without_mirrors(period, mirrors, count):
    assert handler(GetBadgeCountHandler)(GetBadgeCount("Demo-Pkg", period, mirrors)) == count


def test_badge_windows_end_on_the_last_imported_day():
    count = handler(GetBadgeCountHandler, last_day=date(2026, 11, 19))

    assert count(GetBadgeCount("demo-pkg", Period.WEEK)) == 12
    assert count(GetBadgeCount("demo-pkg", Period.MONTH)) == 72


@pytest.mark.parametrize(
    ("handler_class", "query"),
    [
        (GetProjectHandler, GetProject("nope")),
        (GetDailyDownloadsHandler, GetDailyDownloads("nope")),
        (GetBadgeCountHandler, GetBadgeCount("nope", Period.TOTAL, mirrors=False)),
    ],
)
def test_an_unknown_project_is_not_found(handler_class, query):
    with pytest.raises(ProjectNotFound) as refused:
        handler(handler_class)(query)

    assert str(refused.value) == "Project with name nope does not exist"


@pytest.mark.parametrize(
    ("handler_class", "query"),
    [
        (GetProjectHandler, GetProject("-bad")),
        (GetDailyDownloadsHandler, GetDailyDownloads("-bad")),
        (GetBadgeCountHandler, GetBadgeCount("-bad")),
    ],
)
def test_an_invalid_name_is_refused(handler_class, query):
    with pytest.raises(InvalidProjectName, match="Invalid project name '-bad'"):
        handler(handler_class)(query)
