"""What charts draw: the v3 series behind them, the top categories plus "other", named ranges, and comparisons."""

from datetime import date, timedelta

import pytest

from pepy.application.queries.charts import (
    MAX_COMPARED,
    ChartLine,
    ChartRange,
    GetComparison,
    GetComparisonChart,
    GetComparisonChartHandler,
    GetComparisonHandler,
    GetProjectChart,
    GetProjectChartHandler,
    default_granularity,
)
from pepy.application.queries.common import MAX_SERIES_DAYS, InvalidParameter
from pepy.application.queries.v3 import GetDownloadSeries, GetDownloadSeriesHandler
from pepy.domain.downloads import Breakdown
from pepy.domain.errors import InvalidProjectName, ProjectNotFound
from pepy.domain.read_models import Granularity, MirrorSplit
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore, StoredProject

LAST_DAY = date(2026, 11, 20)
PROJECT = StoredProject(
    "demo-pkg",
    versions={
        date(2026, 1, 10): {"0.9": (50, 50)},
        date(2026, 10, 21): {"1.0": (40, 30)},
        date(2026, 11, 13): {"1.0": (7, 6), "2.9.0": (1, 1), "2.10.0": (1, 1)},
        date(2026, 11, 16): {"2.10.0": (5, 5), "3.0.0rc1": (2, 2)},
        date(2026, 11, 20): {"2.10.0": (8, 6), "2.9.0": (3, 3), "nightly": (1, 1)},
    },
    categories={
        Breakdown.SYSTEM: {
            date(2026, 11, 16): {"Linux": (4, 4), None: (3, 3)},
            date(2026, 11, 20): {"Windows": (3, 3), "Linux": (9, 7)},
        }
    },
)
OTHER = StoredProject("other", versions={LAST_DAY: {"1.0": (100, 90)}, date(2026, 11, 1): {"1.0": (5, 5)}})
STORE = FakeReadStore(PROJECT, OTHER)


def handler(handler_class):
    return handler_class(STORE, FakeLedger(last_day=LAST_DAY), lambda: TODAY)


def chart(**options):
    return handler(GetProjectChartHandler)(GetProjectChart(options.pop("name", "Demo.Pkg"), **options))


def v3_series(name="demo-pkg", **options):
    return handler(GetDownloadSeriesHandler)(GetDownloadSeries(name, **options))


def refusal(handler_class, query) -> str:
    with pytest.raises(InvalidParameter) as refused:
        handler(handler_class)(query)
    return str(refused.value)


def test_a_chart_draws_the_v3_series_of_its_range_as_one_line():
    drawn = chart()
    series = v3_series(start=LAST_DAY - timedelta(days=89), end=LAST_DAY)

    assert (drawn.title, drawn.start, drawn.end, drawn.granularity) == (
        "demo-pkg",
        series.start,
        LAST_DAY,
        series.granularity,
    )
    assert drawn.days == [p.start for p in series.points] and drawn.partial == [p.partial for p in series.points]
    assert drawn.lines == [ChartLine("demo-pkg", [p.downloads for p in series.points])]
    assert len(drawn.days) == 90 and sum(drawn.lines[0].values) == 68


def test_a_breakdown_draws_the_top_categories_and_other_sums_the_rest():
    drawn = chart(breakdown=Breakdown.VERSION, top=2, range=ChartRange(period="30d"))
    series = v3_series(start=LAST_DAY - timedelta(days=29), end=LAST_DAY, breakdown=Breakdown.VERSION)

    # Over the 30 days: 2.10.0 14, 1.0 7, 2.9.0 4, 3.0.0rc1 2, nightly 1.
    assert [line.label for line in drawn.lines] == ["2.10.0", "1.0", "other"]
    assert [line.other for line in drawn.lines] == [False, False, True]
    for index, point in enumerate(series.points):
        assert drawn.lines[0].values[index] == point.categories.get("2.10.0", 0)
        assert sum(line.values[index] for line in drawn.lines) == point.downloads
    assert sum(drawn.lines[2].values) == 7


@pytest.mark.parametrize("mirrors", [True, False])
@pytest.mark.parametrize("granularity", list(Granularity))
def test_a_version_chart_equals_the_v3_version_series_with_or_without_mirrors(mirrors, granularity):
    chart_range = ChartRange(date(2026, 9, 20), LAST_DAY)
    drawn = chart(breakdown=Breakdown.VERSION, top=3, range=chart_range, granularity=granularity, mirrors=mirrors)
    series = v3_series(
        start=chart_range.start, end=LAST_DAY, granularity=granularity, breakdown=Breakdown.VERSION, mirrors=mirrors
    )

    totals: dict[str, int] = {}
    for point in series.points:
        for version, downloads in point.categories.items():
            totals[version] = totals.get(version, 0) + downloads
    top = sorted(totals, key=lambda version: (-totals[version], version))[:3]
    assert [line.label for line in drawn.lines] == [*top, "other"]
    assert drawn.days == [p.start for p in series.points] and drawn.partial == [p.partial for p in series.points]
    for index, point in enumerate(series.points):
        assert [line.values[index] for line in drawn.lines[:3]] == [point.categories.get(v, 0) for v in top]
        assert sum(line.values[index] for line in drawn.lines) == point.downloads


def test_categories_tie_by_name_the_null_category_is_unknown_and_no_other_when_nothing_is_left():
    drawn = chart(breakdown=Breakdown.SYSTEM, range=ChartRange(period="30d"))
    assert [(line.label, sum(line.values)) for line in drawn.lines] == [("Linux", 13), ("unknown", 3), ("Windows", 3)]

    tied = chart(breakdown=Breakdown.VERSION, top=4, range=ChartRange(date(2026, 11, 13), date(2026, 11, 13)))
    assert [line.label for line in tied.lines] == ["1.0", "2.10.0", "2.9.0"]


def test_mirrors_and_the_mirror_split_are_the_series_options():
    without = chart(mirrors=False, range=ChartRange(period="30d"))
    split = chart(breakdown=MirrorSplit.MIRRORS, range=ChartRange(period="30d"))

    assert sum(without.lines[0].values) == 25
    assert {line.label: sum(line.values) for line in split.lines} == {"non_mirror": 25, "mirror": 3}


@pytest.mark.parametrize(
    ("period", "start", "granularity"),
    [
        ("30d", date(2026, 10, 22), Granularity.DAY),
        ("90d", date(2026, 8, 23), Granularity.DAY),
        ("1y", date(2025, 11, 17), Granularity.WEEK),
        ("all", date(2026, 1, 5), Granularity.WEEK),
    ],
)
def test_named_periods_end_on_the_last_imported_day_start_a_bucket_and_pick_a_readable_granularity(
    period, start, granularity
):
    drawn = chart(range=ChartRange(period=period))

    assert (drawn.start, drawn.end, drawn.granularity) == (start, LAST_DAY, granularity)
    assert sum(sum(line.values) for line in drawn.lines) == (
        118 if period in ("1y", "all") else 68 if period == "90d" else 28
    )


def test_all_reaches_back_at_most_as_far_as_a_series_may():
    old = StoredProject("old", versions={date(2019, 5, 1): {"1.0": (1, 1)}, LAST_DAY: {"1.0": (1, 1)}})
    drawn = GetProjectChartHandler(FakeReadStore(old), FakeLedger(last_day=LAST_DAY), lambda: TODAY)(
        GetProjectChart("old", ChartRange(period="all"))
    )
    # Three years back is 2023-11-19; the month's first would pass the cap, so the chart starts on the next one.
    assert (drawn.start, drawn.granularity) == (date(2023, 12, 1), Granularity.MONTH)
    assert (LAST_DAY - drawn.start).days < MAX_SERIES_DAYS and drawn.partial == [False] * 35 + [True]


def test_a_given_range_and_granularity_are_kept():
    drawn = chart(range=ChartRange(date(2026, 11, 1), date(2026, 11, 20)), granularity=Granularity.WEEK)
    assert [d.isoformat() for d in drawn.days] == ["2026-11-01", "2026-11-02", "2026-11-09", "2026-11-16"]
    assert drawn.partial == [True, False, False, True]


@pytest.mark.parametrize(
    ("days", "granularity"),
    [
        (1, Granularity.DAY),
        (120, Granularity.DAY),
        (121, Granularity.WEEK),
        (732, Granularity.WEEK),
        (733, Granularity.MONTH),
    ],
)
def test_the_default_granularity_follows_the_range(days, granularity):
    assert default_granularity(LAST_DAY - timedelta(days=days - 1), LAST_DAY) is granularity


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        (GetProjectChart("demo-pkg", ChartRange(period="2w")), "period"),
        (GetProjectChart("demo-pkg", ChartRange(start=date(2026, 11, 1), period="30d")), "period"),
        (GetProjectChart("demo-pkg", top=0), "top"),
        (GetProjectChart("demo-pkg", top=11), "top"),
        (GetProjectChart("demo-pkg", ChartRange(date(2026, 11, 20), date(2026, 11, 1))), "end"),
        (GetProjectChart("demo-pkg", ChartRange(end=date(2030, 1, 1))), "end"),
        (GetProjectChart("demo-pkg", ChartRange(date(2020, 1, 1), date(2026, 11, 1))), "end"),
    ],
)
def test_a_chart_refuses_what_it_cannot_draw_naming_the_parameter(query, parameter):
    assert refusal(GetProjectChartHandler, query).startswith(f"{parameter}: ")


def test_an_unknown_project_is_not_found_and_a_bad_name_is_refused():
    with pytest.raises(ProjectNotFound):
        chart(name="missing")
    with pytest.raises(ProjectNotFound):
        chart(name="missing", range=ChartRange(period="all"))
    with pytest.raises(InvalidProjectName):
        chart(name="bad name!")


def test_a_comparison_chart_draws_each_projects_own_series_in_the_order_asked():
    drawn = handler(GetComparisonChartHandler)(GetComparisonChart(("Other", "demo_pkg"), ChartRange(period="30d")))

    assert drawn.title == "other vs demo-pkg"
    assert [line.label for line in drawn.lines] == ["other", "demo-pkg"]
    for line in drawn.lines:
        series = v3_series(line.label, start=LAST_DAY - timedelta(days=29), end=LAST_DAY)
        assert line.values == [p.downloads for p in series.points]


def test_a_comparison_answers_each_projects_series_with_the_same_options():
    options = GetDownloadSeries("", start=date(2026, 11, 1), granularity=Granularity.WEEK, breakdown=Breakdown.VERSION)
    found = handler(GetComparisonHandler)(GetComparison(("demo-pkg", "other"), options))

    assert [s.name for s in found] == ["demo-pkg", "other"]
    assert found[1] == v3_series(
        "other", start=date(2026, 11, 1), granularity=Granularity.WEEK, breakdown=Breakdown.VERSION
    )


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ((), "projects: must name 1 to 10 projects"),
        (tuple(f"p{n}" for n in range(MAX_COMPARED + 1)), "projects: must name 1 to 10 projects"),
        (("demo-pkg", "Demo.Pkg"), "projects: names 'demo-pkg' more than once"),
    ],
)
def test_a_comparison_names_one_to_ten_distinct_projects(names, message):
    assert refusal(GetComparisonHandler, GetComparison(names, GetDownloadSeries(""))).startswith(message)
    assert refusal(GetComparisonChartHandler, GetComparisonChart(names)).startswith(message)


def test_one_unknown_project_fails_the_comparison():
    with pytest.raises(ProjectNotFound) as missing:
        handler(GetComparisonHandler)(GetComparison(("demo-pkg", "missing"), GetDownloadSeries("")))
    assert missing.value.name == "missing"
