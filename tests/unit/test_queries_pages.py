"""A project's page: its sums (all time without mirrors counted as badges count it), the chart asked for, and the
versions of the chart's range in PEP 440 order."""

from datetime import date

import pytest

from pepy.application.queries.charts import ChartRange, GetProjectChart, GetProjectChartHandler
from pepy.application.queries.pages import MAX_PAGE_VERSIONS, GetProjectPage, GetProjectPageHandler
from pepy.application.queries.pepy_tech import GetBadgeCount, GetBadgeCountHandler, Period
from pepy.application.queries.v3 import GetProjectSummary, GetProjectSummaryHandler
from pepy.domain.downloads import Breakdown
from pepy.domain.errors import InvalidProjectName, ProjectNotFound
from pepy.domain.read_models import VersionTotal, WindowSums
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore, StoredProject

LAST_DAY = date(2026, 11, 20)
PROJECT = StoredProject(
    "demo-pkg",
    base=1000,
    versions={
        date(2026, 1, 10): {"0.9": (50, 50)},
        date(2026, 10, 21): {"1.0": (40, 30)},
        date(2026, 11, 13): {"1.0": (7, 6), "2.9.0": (1, 1), "2.10.0": (1, 1)},
        date(2026, 11, 16): {"2.10.0": (5, 5), "3.0.0rc1": (2, 2)},
        date(2026, 11, 20): {"2.10.0": (8, 6), "2.9.0": (3, 3), "nightly": (1, 1)},
    },
)
STORE = FakeReadStore(PROJECT)


def handler(handler_class, store=STORE):
    return handler_class(store, FakeLedger(last_day=LAST_DAY), lambda: TODAY)


def page(name="Demo.Pkg", store=STORE, **options) -> object:
    return handler(GetProjectPageHandler, store)(GetProjectPage(GetProjectChart(name, **options)))


def test_the_sums_are_the_summarys_and_all_time_without_mirrors_is_the_badges():
    shown = page()
    summary = handler(GetProjectSummaryHandler)(GetProjectSummary("demo-pkg"))
    without_mirrors = handler(GetBadgeCountHandler)(GetBadgeCount("demo-pkg", Period.TOTAL, mirrors=False))

    assert shown.name == "demo-pkg"
    assert {k: v for k, v in shown.downloads.items() if k != "all_time"} == summary.recent
    assert shown.downloads["all_time"] == WindowSums(summary.total_downloads, without_mirrors)
    assert shown.downloads["all_time"] == WindowSums(1000 + 118, 1000 + 105)
    assert list(shown.downloads) == ["last_day", "last_week", "last_month", "all_time"]


def test_the_chart_is_the_chart_handlers():
    options = {"range": ChartRange(period="30d"), "breakdown": Breakdown.VERSION, "top": 2}
    assert page(**options).chart == handler(GetProjectChartHandler)(GetProjectChart("demo-pkg", **options))


def test_the_versions_of_the_range_are_newest_first_in_pep_440_order_and_invalid_ones_last():
    assert page(range=ChartRange(period="30d")).versions == [
        VersionTotal("3.0.0rc1", 2),
        VersionTotal("2.10.0", 14),
        VersionTotal("2.9.0", 4),
        VersionTotal("1.0", 7),
        VersionTotal("nightly", 1),
    ]


def test_a_range_without_version_rows_lists_none():
    shown = page(range=ChartRange(start=date(2026, 11, 1), end=date(2026, 11, 12)))
    assert (shown.versions, shown.more_versions) == ([], False)


def test_a_heavy_project_lists_its_most_downloaded_versions_and_says_there_are_more():
    many = {f"1.{n}": (n + 1, n + 1) for n in range(MAX_PAGE_VERSIONS + 20)}
    heavy = FakeReadStore(StoredProject("heavy", versions={LAST_DAY: many}))
    shown = page("heavy", heavy)

    assert shown.more_versions
    assert len(shown.versions) == MAX_PAGE_VERSIONS
    assert shown.versions[0] == VersionTotal(f"1.{MAX_PAGE_VERSIONS + 19}", MAX_PAGE_VERSIONS + 20)
    assert shown.versions[-1] == VersionTotal("1.20", 21)


def test_an_unknown_project_is_not_found_and_a_bad_name_refused():
    with pytest.raises(ProjectNotFound):
        page("nothing-here")
    with pytest.raises(InvalidProjectName):
        page("-bad")
