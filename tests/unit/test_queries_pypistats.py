"""pypistats.org's rules: recent windows without mirrors, overall's split, the 180-day range and its bounds,
and the category filter."""

import json
from datetime import date

import pytest

from pepy.application.queries.common import InvalidParameter
from pepy.application.queries.pypistats import (
    GetCategoryDownloads,
    GetCategoryDownloadsHandler,
    GetOverallDownloads,
    GetOverallDownloadsHandler,
    GetRecentDownloads,
    GetRecentDownloadsHandler,
    RecentDownloads,
)
from pepy.domain.downloads import Breakdown
from pepy.domain.errors import ProjectNotFound
from pepy.domain.read_models import CategoryDay, CategoryDownloads
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore, StoredProject

LAST_DAY = date(2026, 11, 20)

DEMO = StoredProject(
    "demo-pkg",
    versions={
        date(2016, 1, 22): {"0.1": (6, 6)},
        date(2026, 5, 23): {"1.0": (2, 2)},
        date(2026, 5, 24): {"1.0": (50, 50)},
        date(2026, 5, 25): {"1.0": (40, 40)},
        date(2026, 10, 21): {"1.0": (40, 30)},
        date(2026, 10, 22): {"1.0": (20, 19)},
        date(2026, 11, 13): {"1.0": (7, 6)},
        date(2026, 11, 14): {"2.0": (5, 5)},
        date(2026, 11, 20): {"2.0": (8, 6), "1.0": (3, 3)},
    },
    categories={
        Breakdown.SYSTEM: {
            date(2026, 5, 24): {"Linux": (9, 9)},
            date(2026, 11, 19): {"Linux": (5, 4), None: (2, 2), "Darwin": (1, 0)},
            date(2026, 11, 20): {"Windows": (3, 3), "Linux": (6, 5)},
        },
        Breakdown.PYTHON_MAJOR: {date(2026, 11, 20): {"3": (10, 8), None: (1, 1)}},
    },
)


def handler(handler_class, last_day=LAST_DAY):
    return handler_class(FakeReadStore(DEMO), FakeLedger(last_day=last_day), lambda: TODAY)


def refusal(handler_class, query) -> str:
    with pytest.raises(InvalidParameter) as refused:
        handler(handler_class)(query)
    return str(refused.value)


def test_recent_counts_the_last_day_week_and_month_without_mirrors():
    assert handler(GetRecentDownloadsHandler)(GetRecentDownloads("Demo.Pkg")) == RecentDownloads(
        "demo-pkg", {"last_day": 9, "last_week": 14, "last_month": 39}
    )


@pytest.mark.parametrize(("period", "windows"), [("day", {"last_day": 9}), ("month", {"last_month": 39})])
def test_recent_with_a_period_counts_that_window_only(period, windows):
    assert handler(GetRecentDownloadsHandler)(GetRecentDownloads("demo-pkg", period)).windows == windows


def test_recent_windows_end_on_the_last_imported_day():
    found = handler(GetRecentDownloadsHandler, last_day=date(2026, 11, 19))(GetRecentDownloads("demo-pkg"))

    assert found.windows == {"last_day": 0, "last_week": 11, "last_month": 60}


def test_recent_refuses_an_unknown_period():
    assert refusal(GetRecentDownloadsHandler, GetRecentDownloads("demo-pkg", "year")) == (
        "period: must be day, week or month, not 'year'"
    )


@pytest.mark.parametrize(
    ("mirrors", "points"),
    [
        (
            None,
            [
                {"category": "with_mirrors", "date": "2026-11-14", "downloads": 5},
                {"category": "without_mirrors", "date": "2026-11-14", "downloads": 5},
                {"category": "with_mirrors", "date": "2026-11-20", "downloads": 11},
                {"category": "without_mirrors", "date": "2026-11-20", "downloads": 9},
            ],
        ),
        (
            True,
            [
                {"category": "with_mirrors", "date": "2026-11-14", "downloads": 5},
                {"category": "with_mirrors", "date": "2026-11-20", "downloads": 11},
            ],
        ),
        (
            False,
            [
                {"category": "without_mirrors", "date": "2026-11-14", "downloads": 5},
                {"category": "without_mirrors", "date": "2026-11-20", "downloads": 9},
            ],
        ),
    ],
)
def test_overall_splits_each_day_into_with_and_without_mirrors(mirrors, points):
    found = handler(GetOverallDownloadsHandler)(GetOverallDownloads("Demo_Pkg", mirrors, start=date(2026, 11, 14)))

    assert found.name == "demo-pkg"
    assert json.loads(f"[{found.points_json}]") == points


def days_of(found) -> list[date]:
    return [date.fromisoformat(point["date"]) for point in json.loads(f"[{found.points_json}]")]


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (
            None,
            None,
            [
                date(2026, 5, 24),
                date(2026, 5, 25),
                date(2026, 10, 21),
                date(2026, 10, 22),
                date(2026, 11, 13),
                date(2026, 11, 14),
            ],
        ),
        (date(2026, 10, 22), None, [date(2026, 10, 22), date(2026, 11, 13), date(2026, 11, 14)]),
        (
            None,
            date(2026, 10, 22),
            [date(2026, 5, 23), date(2026, 5, 24), date(2026, 5, 25), date(2026, 10, 21), date(2026, 10, 22)],
        ),
        (date(2026, 5, 25), date(2026, 10, 21), [date(2026, 5, 25), date(2026, 10, 21)]),
    ],
)
def test_pypistats_reads_180_days_ending_on_the_last_imported_day_narrowed_by_start_and_end(start, end, days):
    found = handler(GetOverallDownloadsHandler, last_day=date(2026, 11, 19))(
        GetOverallDownloads("demo-pkg", mirrors=True, start=start, end=end)
    )

    assert days_of(found) == days


def test_pypistats_180_days_ending_near_pypis_first_day_start_on_it():
    query = GetOverallDownloads("demo-pkg", mirrors=True, end=date(2016, 3, 1))

    assert days_of(handler(GetOverallDownloadsHandler)(query)) == [date(2016, 1, 22)]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2016, 1, 21), None, "start_date: must be between 2016-01-22 and today (2026-11-21), not 2016-01-21"),
        (None, date(2026, 11, 22), "end_date: must be between 2016-01-22 and today (2026-11-21), not 2026-11-22"),
        (date(2020, 1, 1), None, "end_date: the range is 2516 days; at most 1098 are allowed"),
        (date(2026, 11, 10), date(2026, 11, 1), "end_date: 2026-11-01 is before the start 2026-11-10"),
        (TODAY, None, "end_date: 2026-11-20 is before the start 2026-11-21"),
    ],
)
def test_pypistats_refuses_days_outside_the_history_long_and_backward_ranges(start, end, message):
    query = GetOverallDownloads("demo-pkg", start=start, end=end)

    assert refusal(GetOverallDownloadsHandler, query) == message
    assert refusal(
        GetCategoryDownloadsHandler, GetCategoryDownloads("demo-pkg", Breakdown.SYSTEM, None, start, end)
    ) == (message)


def test_pypistats_accepts_a_range_of_1098_days():
    query = GetOverallDownloads("demo-pkg", mirrors=True, start=date(2023, 11, 19))

    assert days_of(handler(GetOverallDownloadsHandler)(query))[0] == date(2026, 5, 23)


def test_categories_are_non_mirror_downloads_per_day_null_last_and_empty_ones_left_out():
    found = handler(GetCategoryDownloadsHandler)(GetCategoryDownloads("Demo_Pkg", Breakdown.SYSTEM))

    assert found == CategoryDownloads(
        "demo-pkg",
        [
            CategoryDay(date(2026, 11, 19), "Linux", 4),
            CategoryDay(date(2026, 11, 19), None, 2),
            CategoryDay(date(2026, 11, 20), "Linux", 5),
            CategoryDay(date(2026, 11, 20), "Windows", 3),
        ],
    )


@pytest.mark.parametrize(
    ("breakdown", "category", "rows"),
    [
        (Breakdown.SYSTEM, "linux", [(date(2026, 11, 19), "Linux", 4), (LAST_DAY, "Linux", 5)]),
        (Breakdown.SYSTEM, "WINDOWS", [(LAST_DAY, "Windows", 3)]),
        (Breakdown.SYSTEM, "null", [(date(2026, 11, 19), None, 2)]),
        (Breakdown.PYTHON_MAJOR, "NULL", [(LAST_DAY, None, 1)]),
        (Breakdown.PYTHON_MAJOR, "3", [(LAST_DAY, "3", 8)]),
        (Breakdown.SYSTEM, "Darwin", []),
        (Breakdown.SYSTEM, "x" * 100, []),
    ],
)
def test_a_category_filter_keeps_one_category_regardless_of_case_null_being_the_null_category(
    breakdown, category, rows
):
    found = handler(GetCategoryDownloadsHandler)(GetCategoryDownloads("demo-pkg", breakdown, category))

    assert found.rows == [CategoryDay(*row) for row in rows]


@pytest.mark.parametrize("category", ["", "x" * 101])
@pytest.mark.parametrize(
    ("breakdown", "parameter"),
    [(Breakdown.SYSTEM, "os"), (Breakdown.PYTHON_MAJOR, "version"), (Breakdown.PYTHON_MINOR, "version")],
)
def test_a_category_filter_longer_than_100_characters_or_empty_is_refused_naming_its_parameter(
    category, breakdown, parameter
):
    query = GetCategoryDownloads("demo-pkg", breakdown, category)

    assert refusal(GetCategoryDownloadsHandler, query) == f"{parameter}: must be 1 to 100 characters long"


@pytest.mark.parametrize("breakdown", [Breakdown.VERSION, Breakdown.COUNTRY])
def test_only_pypistats_breakdowns_have_its_category_view(breakdown):
    query = GetCategoryDownloads("demo-pkg", breakdown)

    assert refusal(GetCategoryDownloadsHandler, query) == "breakdown: must be one of python_major, python_minor, system"


@pytest.mark.parametrize(
    ("handler_class", "query"),
    [
        (GetRecentDownloadsHandler, GetRecentDownloads("nope")),
        (GetOverallDownloadsHandler, GetOverallDownloads("nope")),
        (GetCategoryDownloadsHandler, GetCategoryDownloads("nope", Breakdown.PYTHON_MINOR)),
    ],
)
def test_an_unknown_project_is_not_found(handler_class, query):
    with pytest.raises(ProjectNotFound) as refused:
        handler(handler_class)(query)

    assert str(refused.value) == "Project with name nope does not exist"
