"""v3's rules: the series' range, buckets, breakdowns, version specifiers and caps; the summary, the ranking
and search."""

from datetime import date, timedelta

import pytest

from pepy.application.queries.common import InvalidParameter
from pepy.application.queries.v3 import (
    DownloadSeries,
    GetDownloadSeries,
    GetDownloadSeriesHandler,
    GetProjectSummary,
    GetProjectSummaryHandler,
    GetTopProjects,
    GetTopProjectsHandler,
    ProjectSummary,
    SearchProjects,
    SearchProjectsHandler,
    SeriesPoint,
    TopProjects,
    series_breakdown,
)
from pepy.domain.downloads import Breakdown
from pepy.domain.errors import ProjectNotFound
from pepy.domain.read_models import Granularity, MirrorSplit, ProjectDownloads, VersionTotal, WindowSums
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore, StoredProject

LAST_DAY = date(2026, 11, 20)
WEEK, MONTH = Granularity.WEEK, Granularity.MONTH

DEMO = StoredProject(
    "demo-pkg",
    base=500,
    versions={
        date(2026, 10, 21): {"1.0": (40, 30)},
        date(2026, 10, 22): {"1.0": (20, 19)},
        date(2026, 11, 13): {"1.0": (7, 6), "2.9.0": (1, 1)},
        date(2026, 11, 16): {"2.10.0": (5, 5), "3.0.0rc1": (2, 2)},
        date(2026, 11, 20): {"2.10.0": (8, 6), "2.9.0": (3, 3), "nightly": (1, 1)},
    },
    categories={
        Breakdown.SYSTEM: {
            date(2026, 11, 13): {"Linux": (8, 7)},
            date(2026, 11, 16): {"Linux": (4, 4), None: (3, 3)},
            date(2026, 11, 20): {"Windows": (3, 3), "Linux": (9, 7)},
        }
    },
)
# Days around New Year, where ISO weeks belong to the other calendar year.
NEW_YEARS = StoredProject(
    "new-years",
    versions={
        date(2021, 1, 3): {"1.0": (1, 1)},
        date(2021, 1, 4): {"1.0": (2, 2)},
        date(2024, 12, 31): {"1.0": (4, 4)},
    },
)
OTHER = StoredProject("other", versions={LAST_DAY: {"1.0": (100, 90)}})
TIED = StoredProject("tied", versions={date(2026, 11, 14): {"1.0": (19, 19)}})
OLD = StoredProject("old", versions={date(2026, 1, 1): {"1.0": (1000, 1000)}})
EXTRA = StoredProject("demo-pkg-extra", versions={LAST_DAY: {"0.1": (3, 3)}})
DEMOS = StoredProject("demos", base=1000)
STORE = FakeReadStore(DEMO, NEW_YEARS, OTHER, TIED, OLD, EXTRA, DEMOS)


def handler(handler_class, last_day=LAST_DAY, store=STORE):
    return handler_class(store, FakeLedger(last_day=last_day), lambda: TODAY)


def series(last_day=LAST_DAY, **options) -> DownloadSeries:
    return handler(GetDownloadSeriesHandler, last_day)(GetDownloadSeries(options.pop("name", "demo-pkg"), **options))


def refusal(handler_class, query) -> str:
    with pytest.raises(InvalidParameter) as refused:
        handler(handler_class)(query)
    return str(refused.value)


def point(period: str, start: date, end: date, partial: bool, downloads: int, categories=None) -> SeriesPoint:
    return SeriesPoint(period, start, end, partial, downloads, categories or {})


# The series: its range ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_day", "start", "downloads"),
    [(LAST_DAY, date(2026, 10, 22), 47), (None, date(2026, 10, 22), 47), (date(2026, 11, 16), date(2026, 10, 18), 75)],
)
def test_a_series_defaults_to_the_30_days_ending_on_the_last_imported_day_by_day(last_day, start, downloads):
    found = series(last_day, name="Demo.Pkg")

    end = start + timedelta(days=29)
    assert (found.name, found.start, found.end, found.granularity) == ("demo-pkg", start, end, Granularity.DAY)
    assert (found.breakdown, found.mirrors, found.versions) == (None, True, None)
    assert [p.period for p in found.points] == [(start + timedelta(days=n)).isoformat() for n in range(30)]
    assert sum(p.downloads for p in found.points) == downloads


def test_every_day_is_listed_zero_when_empty():
    found = series(start=date(2026, 11, 12), end=date(2026, 11, 14))

    assert found.points == [
        point("2026-11-12", date(2026, 11, 12), date(2026, 11, 12), False, 0),
        point("2026-11-13", date(2026, 11, 13), date(2026, 11, 13), False, 8),
        point("2026-11-14", date(2026, 11, 14), date(2026, 11, 14), False, 0),
    ]


def test_a_series_ending_near_pypis_first_day_starts_on_it():
    found = series(end=date(2016, 2, 1))

    assert (found.start, found.end) == (date(2016, 1, 22), date(2016, 2, 1))
    assert len(found.points) == 11


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2016, 1, 21), None, "start: must be between 2016-01-22 and today (2026-11-21), not 2016-01-21"),
        (None, date(2026, 11, 22), "end: must be between 2016-01-22 and today (2026-11-21), not 2026-11-22"),
        (date(2026, 11, 10), date(2026, 11, 1), "end: 2026-11-01 is before the start 2026-11-10"),
        (date(2016, 1, 22), None, "end: the range is 3956 days; at most 1098 are allowed"),
        (date(2023, 11, 18), None, "end: the range is 1099 days; at most 1098 are allowed"),
    ],
)
def test_a_series_refuses_days_outside_the_history_long_and_backward_ranges(start, end, message):
    assert refusal(GetDownloadSeriesHandler, GetDownloadSeries("demo-pkg", start, end)) == message


# The series: its buckets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start", "end", "points"),
    [
        (
            "demo-pkg",
            date(2026, 11, 4),
            LAST_DAY,
            [
                point("2026-W45", date(2026, 11, 4), date(2026, 11, 8), True, 0),
                point("2026-W46", date(2026, 11, 9), date(2026, 11, 15), False, 8),
                point("2026-W47", date(2026, 11, 16), LAST_DAY, True, 19),
            ],
        ),
        (
            "new-years",
            date(2020, 12, 30),
            date(2021, 1, 5),
            [
                point("2020-W53", date(2020, 12, 30), date(2021, 1, 3), True, 1),
                point("2021-W01", date(2021, 1, 4), date(2021, 1, 5), True, 2),
            ],
        ),
        (
            "new-years",
            date(2024, 12, 30),
            date(2025, 1, 5),
            [point("2025-W01", date(2024, 12, 30), date(2025, 1, 5), False, 4)],
        ),
    ],
)
def test_weeks_are_iso_weeks_monday_to_sunday_cut_by_the_range(name, start, end, points):
    assert series(name=name, start=start, end=end, granularity=WEEK).points == points


@pytest.mark.parametrize(
    ("start", "end", "points"),
    [
        (
            date(2026, 9, 15),
            LAST_DAY,
            [
                point("2026-09", date(2026, 9, 15), date(2026, 9, 30), True, 0),
                point("2026-10", date(2026, 10, 1), date(2026, 10, 31), False, 60),
                point("2026-11", date(2026, 11, 1), LAST_DAY, True, 27),
            ],
        ),
        (date(2026, 10, 1), date(2026, 10, 31), [point("2026-10", date(2026, 10, 1), date(2026, 10, 31), False, 60)]),
        (
            date(2025, 12, 20),
            date(2026, 1, 10),
            [
                point("2025-12", date(2025, 12, 20), date(2025, 12, 31), True, 0),
                point("2026-01", date(2026, 1, 1), date(2026, 1, 10), True, 0),
            ],
        ),
    ],
)
def test_months_are_calendar_months_cut_by_the_range(start, end, points):
    assert series(start=start, end=end, granularity=MONTH).points == points


# The series: breakdowns and mirrors -----------------------------------------------------------------------------


def test_a_version_breakdown_maps_each_version_to_its_downloads():
    found = series(start=date(2026, 11, 16), end=LAST_DAY, granularity=WEEK, breakdown=Breakdown.VERSION)

    assert found.points == [
        point(
            "2026-W47", date(2026, 11, 16), LAST_DAY, True, 19, {"2.10.0": 13, "3.0.0rc1": 2, "2.9.0": 3, "nightly": 1}
        )
    ]


@pytest.mark.parametrize(
    ("mirrors", "last_week", "this_week"),
    [
        (True, {"Linux": 8}, {"Linux": 13, "Windows": 3, None: 3}),
        (False, {"Linux": 7}, {"Linux": 11, "Windows": 3, None: 3}),
    ],
)
def test_a_category_breakdown_maps_each_category_null_included_and_lists_empty_weeks(mirrors, last_week, this_week):
    found = series(start=date(2026, 11, 2), end=LAST_DAY, granularity=WEEK, breakdown=Breakdown.SYSTEM, mirrors=mirrors)

    assert found.points == [
        point("2026-W45", date(2026, 11, 2), date(2026, 11, 8), False, 0),
        point("2026-W46", date(2026, 11, 9), date(2026, 11, 15), False, sum(last_week.values()), last_week),
        point("2026-W47", date(2026, 11, 16), LAST_DAY, True, sum(this_week.values()), this_week),
    ]


def test_the_mirrors_split_divides_each_bucket_into_mirror_and_non_mirror_downloads():
    found = series(start=date(2026, 11, 9), end=LAST_DAY, granularity=WEEK, breakdown=MirrorSplit.MIRRORS)

    assert [p.categories for p in found.points] == [{"mirror": 1, "non_mirror": 7}, {"mirror": 2, "non_mirror": 17}]
    assert [p.downloads for p in found.points] == [8, 19]


def test_the_mirrors_split_leaves_out_a_side_with_no_downloads():
    found = series(start=date(2026, 11, 16), end=date(2026, 11, 16), breakdown=MirrorSplit.MIRRORS)

    assert found.points[0].categories == {"non_mirror": 7}


@pytest.mark.parametrize(("mirrors", "downloads"), [(True, [8, 19]), (False, [7, 17])])
def test_a_series_counts_with_or_without_mirrors(mirrors, downloads):
    found = series(start=date(2026, 11, 9), end=LAST_DAY, granularity=WEEK, mirrors=mirrors)

    assert [p.downloads for p in found.points] == downloads
    assert found.mirrors is mirrors


def test_mirrors_false_is_refused_with_the_mirrors_split():
    query = GetDownloadSeries("demo-pkg", breakdown=MirrorSplit.MIRRORS, mirrors=False)

    assert refusal(GetDownloadSeriesHandler, query) == "mirrors: cannot be false with breakdown=mirrors"


@pytest.mark.parametrize(
    ("name", "breakdown"),
    [("version", Breakdown.VERSION), ("system", Breakdown.SYSTEM), ("mirrors", MirrorSplit.MIRRORS), (None, None)],
)
def test_a_series_breakdown_is_read_from_its_name(name, breakdown):
    assert series_breakdown(name) is breakdown


def test_an_unknown_series_breakdown_is_refused_naming_the_choices():
    with pytest.raises(InvalidParameter) as refused:
        series_breakdown("python")

    assert str(refused.value) == (
        "breakdown: must be one of version, python_major, python_minor, system, installer, country, ci, file_type, "
        "mirrors"
    )


# The series: versions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specifiers", "versions"),
    [
        ("2.9.0", {"2.9.0"}),
        ("2.9", {"2.9.0"}),
        ("2.*", {"2.9.0", "2.10.0"}),
        (">=2,<3", {"2.9.0", "2.10.0"}),
        (" >=2 , <2.10 ", {"2.9.0"}),
        (">=2.10", {"2.10.0", "3.0.0rc1"}),
        ("3.0.0rc1", {"3.0.0rc1"}),
        ("~=1.0", {"1.0"}),
        ("!=1.0", {"2.9.0", "2.10.0", "3.0.0rc1"}),
        ("===nightly", set()),
        ("4.*", set()),
    ],
)
def test_versions_keep_those_matching_pep_440_specifiers_pre_releases_included_invalid_ones_never(specifiers, versions):
    found = series(
        start=date(2026, 10, 1), end=LAST_DAY, granularity=MONTH, breakdown=Breakdown.VERSION, versions=specifiers
    )

    assert {version for p in found.points for version in p.categories} == versions
    assert found.versions == specifiers


def test_versions_without_a_breakdown_sum_the_matching_versions():
    found = series(start=LAST_DAY, end=LAST_DAY, versions="2.*")

    assert found.points == [point("2026-11-20", LAST_DAY, LAST_DAY, False, 11)]


@pytest.mark.parametrize("specifiers", ["", " ", "2,", ",2", ">=2,,<3"])
def test_empty_version_specifiers_are_refused(specifiers):
    query = GetDownloadSeries("demo-pkg", versions=specifiers)

    assert refusal(GetDownloadSeriesHandler, query) == "versions: must be PEP 440 specifiers such as '>=2,<3' or '2.*'"


@pytest.mark.parametrize("specifiers", ["abc", ">=x", "2.*.1", "<=2.*", ">=2,<three"])
def test_invalid_version_specifiers_are_refused(specifiers):
    query = GetDownloadSeries("demo-pkg", versions=specifiers)

    assert refusal(GetDownloadSeriesHandler, query) == (
        f"versions: {specifiers!r} are not PEP 440 specifiers such as '>=2,<3'"
    )


@pytest.mark.parametrize("breakdown", [Breakdown.SYSTEM, MirrorSplit.MIRRORS])
def test_versions_go_only_with_the_version_breakdown_or_none(breakdown):
    query = GetDownloadSeries("demo-pkg", breakdown=breakdown, versions="2.*")

    assert refusal(GetDownloadSeriesHandler, query) == (
        "versions: filters versions, so it only goes with breakdown=version or none"
    )


# The series: its cap --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def heavy():
    """A project with 100 versions downloaded on each of 1001 days."""
    days = [LAST_DAY - timedelta(days=n) for n in range(1001)]
    return StoredProject("heavy", versions={day: {f"1.{v}": (1, 1) for v in range(100)} for day in days})


def test_a_series_of_100000_points_is_answered(heavy):
    found = handler(GetDownloadSeriesHandler, store=FakeReadStore(heavy))(
        GetDownloadSeries("heavy", start=LAST_DAY - timedelta(days=999), breakdown=Breakdown.VERSION)
    )

    assert len(found.points) == 1000
    assert sum(len(p.categories) for p in found.points) == 100_000


def test_a_series_of_more_than_100000_points_is_refused(heavy):
    with pytest.raises(InvalidParameter) as refused:
        handler(GetDownloadSeriesHandler, store=FakeReadStore(heavy))(
            GetDownloadSeries("heavy", start=LAST_DAY - timedelta(days=1000), breakdown=Breakdown.VERSION)
        )

    assert str(refused.value) == (
        "end: the answer would exceed 100000 points; shorten the range, use a coarser granularity or filter versions"
    )


@pytest.mark.parametrize("versions", [None, "2.*"])
def test_a_series_of_an_unknown_project_is_not_found(versions):
    with pytest.raises(ProjectNotFound) as refused:
        series(name="nope", versions=versions)

    assert str(refused.value) == "Project with name nope does not exist"


# The summary ----------------------------------------------------------------------------------------------------


def test_a_summary_has_the_total_the_recent_windows_the_top_versions_and_the_stored_days():
    assert handler(GetProjectSummaryHandler)(GetProjectSummary("Demo_Pkg")) == ProjectSummary(
        "demo-pkg",
        587,
        date(2026, 10, 21),
        LAST_DAY,
        {"last_day": WindowSums(12, 10), "last_week": WindowSums(19, 17), "last_month": WindowSums(47, 43)},
        [
            VersionTotal("1.0", 27),
            VersionTotal("2.10.0", 13),
            VersionTotal("2.9.0", 4),
            VersionTotal("3.0.0rc1", 2),
            VersionTotal("nightly", 1),
        ],
    )


def test_a_summary_lists_the_10_most_downloaded_versions_ties_by_version():
    many = StoredProject("many", versions={LAST_DAY: {f"1.{n}": (n, n) for n in range(1, 13)} | {"0.5": (12, 12)}})

    top = handler(GetProjectSummaryHandler, store=FakeReadStore(many))(GetProjectSummary("many")).top_versions

    assert [(v.version, v.downloads) for v in top] == [("0.5", 12), ("1.12", 12)] + [
        (f"1.{n}", n) for n in range(11, 3, -1)
    ]


def test_a_summary_of_a_project_without_days_has_its_base_and_nothing_else():
    assert handler(GetProjectSummaryHandler)(GetProjectSummary("demos")) == ProjectSummary(
        "demos",
        1000,
        None,
        None,
        {"last_day": WindowSums(0, 0), "last_week": WindowSums(0, 0), "last_month": WindowSums(0, 0)},
        [],
    )


def test_a_summary_of_an_unknown_project_is_not_found():
    with pytest.raises(ProjectNotFound) as refused:
        handler(GetProjectSummaryHandler)(GetProjectSummary("nope"))

    assert str(refused.value) == "Project with name nope does not exist"


# The ranking ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "limit", "start", "ranking"),
    [
        ("day", 10, LAST_DAY, [("other", 100), ("demo-pkg", 12), ("demo-pkg-extra", 3)]),
        ("week", 10, date(2026, 11, 14), [("other", 100), ("demo-pkg", 19), ("tied", 19), ("demo-pkg-extra", 3)]),
        ("month", 2, date(2026, 10, 22), [("other", 100), ("demo-pkg", 47)]),
    ],
)
def test_the_top_projects_of_a_window_most_first_ties_by_name(period, limit, start, ranking):
    top = handler(GetTopProjectsHandler)(GetTopProjects(period, limit))

    assert top == TopProjects(period, start, LAST_DAY, [ProjectDownloads(*found) for found in ranking])


def test_the_top_projects_window_ends_on_the_last_imported_day():
    top = handler(GetTopProjectsHandler, last_day=date(2026, 11, 19))(GetTopProjects("week"))

    assert (top.start, top.end) == (date(2026, 11, 13), date(2026, 11, 19))
    assert top.projects == [ProjectDownloads("tied", 19), ProjectDownloads("demo-pkg", 15)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (GetTopProjects("year"), "period: must be day, week or month, not 'year'"),
        (GetTopProjects("week", 0), "limit: must be between 1 and 100, not 0"),
        (GetTopProjects("week", 101), "limit: must be between 1 and 100, not 101"),
    ],
)
def test_the_top_projects_refuse_an_unknown_period_and_a_limit_outside_1_to_100(query, message):
    assert refusal(GetTopProjectsHandler, query) == message


# Search ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "limit", "names"),
    [
        ("Demo_P", 10, ["demo-pkg", "demo-pkg-extra"]),
        ("DEMO.", 10, ["demo-pkg", "demo-pkg-extra"]),
        ("demo-pkg-", 10, ["demo-pkg-extra"]),
        ("demo", 10, ["demos", "demo-pkg", "demo-pkg-extra"]),
        ("demo", 2, ["demos", "demo-pkg"]),
        ("x", 10, []),
        ("a" * 512, 10, []),
    ],
)
def test_search_normalises_the_prefix_and_ranks_by_all_time_downloads(prefix, limit, names):
    found = SearchProjectsHandler(STORE)(SearchProjects(prefix, limit))

    assert [p.name for p in found] == names


def test_search_answers_all_time_downloads():
    assert SearchProjectsHandler(STORE)(SearchProjects("demo-pkg")) == [
        ProjectDownloads("demo-pkg", 587),
        ProjectDownloads("demo-pkg-extra", 3),
    ]


@pytest.mark.parametrize("prefix", ["", "-demo", ".demo", "demo pkg", "démo", "demo/pkg", "a" * 513])
def test_search_refuses_what_cannot_start_a_project_name(prefix):
    with pytest.raises(InvalidParameter) as refused:
        SearchProjectsHandler(STORE)(SearchProjects(prefix))

    assert str(refused.value) == (
        "q: must be the start of a project name: ASCII letters, digits, '.', '_' and '-', starting with a letter or "
        "digit, at most 512 characters"
    )


@pytest.mark.parametrize("limit", [0, 101])
def test_search_refuses_a_limit_outside_1_to_100(limit):
    with pytest.raises(InvalidParameter) as refused:
        SearchProjectsHandler(STORE)(SearchProjects("-bad", limit))

    assert str(refused.value) == f"limit: must be between 1 and 100, not {limit}"
