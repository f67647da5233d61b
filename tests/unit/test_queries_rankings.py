"""The rankings' rules: which lists exist, their limits, a list not built yet, trending over days not all imported,
and whether a list includes the newest import; and the days each ranking covers."""

from datetime import UTC, date, datetime

import pytest

from pepy.application.queries.common import MAX_LIMIT, InvalidParameter
from pepy.application.queries.rankings import (
    GetTopPackages,
    GetTopPackagesHandler,
    GetTrendingProjects,
    GetTrendingProjectsHandler,
)
from pepy.domain.errors import RankingUnavailable
from pepy.domain.rankings import RANKINGS, TOP_LIST_SIZE, TOP_LISTS, TRENDING, Ranking
from pepy.domain.read_models import BuiltRanking, RankedProject
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore

LAST_DAY = date(2026, 11, 20)
BUILT_AT = datetime(2026, 11, 21, 7, 21, 33, tzinfo=UTC)
LATER = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)

TOP_30 = BuiltRanking(
    BUILT_AT,
    date(2026, 10, 22),
    LAST_DAY,
    None,
    None,
    [],
    [RankedProject("boto3", 900), RankedProject("requests", 500), RankedProject("urllib3", 500)],
)
TOP_365 = BuiltRanking(BUILT_AT, date(2025, 11, 21), LAST_DAY, None, None, [], [RankedProject("numpy", 9000)])
TRENDING_WEEK = BuiltRanking(
    BUILT_AT,
    date(2026, 11, 14),
    LAST_DAY,
    date(2026, 11, 7),
    date(2026, 11, 13),
    [],
    [RankedProject("rising", 3000, 0, 3.0), RankedProject("steady", 2200, 2000, 0.0667)],
)
TRENDING_MONTH = BuiltRanking(
    BUILT_AT,
    date(2026, 10, 22),
    LAST_DAY,
    date(2026, 9, 22),
    date(2026, 10, 21),
    [date(2026, 9, d) for d in range(22, 30)],
    [RankedProject("rising", 9000, 0, 1.8)],
)
BUILT = {
    "top-30-days": TOP_30,
    "top-365-days": TOP_365,
    "trending-week": TRENDING_WEEK,
    "trending-month": TRENDING_MONTH,
}


def handlers(rankings=BUILT, last_import_at=BUILT_AT):
    store = FakeReadStore(rankings=rankings)
    ledger = FakeLedger(LAST_DAY, last_import_at)
    return (
        GetTopPackagesHandler(store, ledger, lambda: TODAY),
        GetTrendingProjectsHandler(store, ledger, lambda: TODAY),
    )


def test_the_top_list_is_the_built_one_of_the_days_asked_for_with_the_import_it_includes():
    top, _ = handlers()

    month = top(GetTopPackages())
    year = top(GetTopPackages(days=365))

    assert month.days == 30 and month.last_update == BUILT_AT and month.current
    assert [p.name for p in month.projects] == ["boto3", "requests", "urllib3"]
    assert year.projects == [RankedProject("numpy", 9000)]


def test_the_top_list_keeps_the_first_limit_rows():
    top, _ = handlers()

    assert [p.name for p in top(GetTopPackages(limit=2)).projects] == ["boto3", "requests"]
    assert len(top(GetTopPackages(limit=TOP_LIST_SIZE)).projects) == 3


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        (GetTopPackages(days=7), "days", "days: must be 30 or 365, not 7"),
        (GetTopPackages(days=0), "days", "days: must be 30 or 365, not 0"),
        (GetTopPackages(limit=0), "limit", f"limit: must be between 1 and {TOP_LIST_SIZE}, not 0"),
        (GetTopPackages(limit=TOP_LIST_SIZE + 1), "limit", "limit: must be between 1 and 15000, not 15001"),
    ],
)
def test_the_top_list_refuses_other_days_and_limits_naming_the_parameter(query, parameter, message):
    top, _ = handlers()

    with pytest.raises(InvalidParameter) as refused:
        top(query)

    assert refused.value.parameter == parameter and str(refused.value) == message


def test_a_ranking_not_built_yet_is_unavailable_rather_than_empty():
    top, trending = handlers(rankings={})

    with pytest.raises(RankingUnavailable, match="not built yet"):
        top(GetTopPackages())
    with pytest.raises(RankingUnavailable, match="not built yet"):
        trending(GetTrendingProjects())


def test_a_list_built_before_the_newest_import_is_answered_as_not_current():
    top, trending = handlers(last_import_at=LATER)

    assert not top(GetTopPackages()).current
    assert not trending(GetTrendingProjects()).current
    assert top(GetTopPackages()).last_update == BUILT_AT


def test_trending_answers_both_periods_days_and_the_built_order():
    _, trending = handlers()

    found = trending(GetTrendingProjects("week", 1))

    assert (found.period, found.start, found.end) == ("week", date(2026, 11, 14), LAST_DAY)
    assert (found.previous_start, found.previous_end) == (date(2026, 11, 7), date(2026, 11, 13))
    assert found.current and found.projects == [RankedProject("rising", 3000, 0, 3.0)]


def test_trending_over_days_not_all_imported_is_unavailable_and_lists_them():
    _, trending = handlers()

    with pytest.raises(RankingUnavailable) as refused:
        trending(GetTrendingProjects("month"))

    assert str(refused.value) == (
        "Trending over a month compares 2026-09-22 to 2026-10-21 with 2026-10-22 to 2026-11-20, and 8 of those days "
        "are not imported: 2026-09-22, 2026-09-23, 2026-09-24, 2026-09-25, 2026-09-26 and 3 more"
    )


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        (GetTrendingProjects("day"), "period"),
        (GetTrendingProjects("year"), "period"),
        (GetTrendingProjects(limit=0), "limit"),
        (GetTrendingProjects(limit=MAX_LIMIT + 1), "limit"),
    ],
)
def test_trending_refuses_other_periods_and_limits_naming_the_parameter(query, parameter):
    _, trending = handlers()

    with pytest.raises(InvalidParameter) as refused:
        trending(query)

    assert refused.value.parameter == parameter


def test_each_ranking_covers_the_days_ending_on_the_last_imported_day_and_trending_the_days_before():
    assert TOP_LISTS[30].windows(LAST_DAY) == ((date(2026, 10, 22), LAST_DAY), None)
    assert TOP_LISTS[365].windows(LAST_DAY) == ((date(2025, 11, 21), LAST_DAY), None)
    assert TRENDING["week"].windows(LAST_DAY) == (
        (date(2026, 11, 14), LAST_DAY),
        (date(2026, 11, 7), date(2026, 11, 13)),
    )
    assert TRENDING["month"].windows(LAST_DAY) == (
        (date(2026, 10, 22), LAST_DAY),
        (date(2026, 9, 22), date(2026, 10, 21)),
    )


def test_every_ranking_has_its_own_name_and_trending_keeps_as_many_as_a_list_may_ask_for():
    assert len({r.name for r in RANKINGS}) == len(RANKINGS)
    assert all(r.trending and r.size >= MAX_LIMIT for r in TRENDING.values())
    assert not any(r.trending for r in TOP_LISTS.values())
    assert Ranking("x", 7, 10, minimum=0).trending
