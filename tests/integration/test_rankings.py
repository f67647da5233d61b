"""The rankings on real PostgreSQL: built from known days by the refresh each import run ends with, read back by
the read store and the query handlers."""

import logging
from datetime import date, timedelta

import psycopg2
import pytest
from dependency_injector import providers

from pepy.application.commands import ImportDaily, ImportDay, ImportRange, RefreshRankings
from pepy.application.queries.rankings import GetTopPackages, GetTrendingProjects
from pepy.domain.errors import RankingUnavailable
from pepy.domain.rankings import RANKINGS, Ranking
from pepy.domain.read_models import RankedProject
from tests.conftest import TODAY
from tests.fakes import RowsSource, SourceFailed, day_rows

LAST = TODAY - timedelta(days=1)


def rows(projects: dict[str, tuple[int, int]]) -> list:
    """A day's rows: each project's (downloads, non-mirror downloads), as one version."""
    return [row for name, (d, n) in projects.items() for row in day_rows(name, {"1.0": (d, n, 0)})]


def use_days(container, days: dict[date, dict[str, tuple[int, int]]], source=RowsSource) -> None:
    made = source({day: rows(projects) for day, projects in days.items()})
    container.sources.override(providers.Object(lambda name, path: made))


def import_days(container, days: dict[date, dict[str, tuple[int, int]]]) -> None:
    """Import each day, oldest first, and rebuild the rankings once, as an import run does."""
    use_days(container, days)
    for day in sorted(days):
        container.import_day()(ImportDay(day))
    container.refresh_rankings()(RefreshRankings())


def newest_import(url: str):
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(succeeded_at) FROM imports")
        found = cur.fetchone()[0]
    conn.close()
    return found


def top(container, days=30, limit=15_000) -> list[tuple[str, int]]:
    return [(p.name, p.downloads) for p in container.get_top_packages()(GetTopPackages(days, limit)).projects]


def test_the_top_lists_rank_their_days_most_first_ties_by_name(container, db):
    # zeta is stored first, so its id is smaller: the tie with alpha is broken by name, not id.
    import_days(
        container,
        {
            LAST - timedelta(days=100): {"old": (1000, 1000)},
            LAST - timedelta(days=1): {"zeta": (20, 20)},
            LAST: {"alpha": (50, 10), "zeta": (30, 30), "big": (70, 70)},
        },
    )

    assert top(container) == [("big", 70), ("alpha", 50), ("zeta", 50)]
    assert top(container, days=365) == [("old", 1000), ("big", 70), ("alpha", 50), ("zeta", 50)]
    assert top(container, days=365, limit=2) == [("old", 1000), ("big", 70)]
    answer = container.get_top_packages()(GetTopPackages())
    assert answer.last_update == newest_import(db) and answer.current


def test_a_short_list_cut_inside_a_tie_keeps_the_first_by_name(container, db):
    import_days(container, {LAST: {"c": (5, 5), "b": (5, 5), "a": (5, 5), "top": (9, 9)}})

    container.repository().refresh_rankings([Ranking("short", 30, 3)])

    built = container.read_store().ranking("short", 100)
    assert built.projects == [RankedProject("top", 9), RankedProject("a", 5), RankedProject("b", 5)]
    assert (built.start, built.end, built.previous_start) == (LAST - timedelta(days=29), LAST, None)
    assert built.missing_days == [LAST - timedelta(days=n) for n in range(29, 0, -1)]


# A fortnight: the previous week's downloads on its first day, the current week's on the last imported day, every
# day imported (the others empty). Each project's (downloads, downloads without mirrors).
PREVIOUS_WEEK, CURRENT_WEEK = LAST - timedelta(days=13), LAST
FORTNIGHT = {LAST - timedelta(days=n): {} for n in range(14)} | {
    PREVIOUS_WEEK: {
        "double": (2000, 2000),
        "bravo": (2000, 2000),
        "tripled": (1000, 1000),
        "shrinking": (5000, 5000),
        "flat": (2000, 2000),
    },
    CURRENT_WEEK: {
        "rising": (3000, 3000),
        "double": (5000, 5000),
        "bravo": (5000, 5000),
        "tripled": (3000, 3000),
        "small": (999, 999),
        "shrinking": (4000, 4000),
        "flat": (2000, 2000),
        "mirrored": (5000, 500),
    },
}


def test_trending_scores_growth_against_the_week_before_above_the_minimum(container, db):
    import_days(container, FORTNIGHT)

    found = container.get_trending_projects()(GetTrendingProjects("week", 100))

    assert (found.start, found.end) == (LAST - timedelta(days=6), LAST)
    assert (found.previous_start, found.previous_end) == (PREVIOUS_WEEK, LAST - timedelta(days=7))
    # (current - previous) / (previous + 1000); equal growth: more downloads first, then the name. Left out: below
    # 1,000 downloads without mirrors (small, mirrored), and not grown (flat, shrinking).
    assert found.projects == [
        RankedProject("rising", 3000, 0, 3.0),
        RankedProject("bravo", 5000, 2000, 1.0),
        RankedProject("double", 5000, 2000, 1.0),
        RankedProject("tripled", 3000, 1000, 1.0),
    ]
    assert [p.name for p in container.get_trending_projects()(GetTrendingProjects("week", 2)).projects] == [
        "rising",
        "bravo",
    ]


def test_trending_over_a_month_not_all_imported_is_unavailable(container, db):
    import_days(container, FORTNIGHT)

    with pytest.raises(RankingUnavailable, match="46 of those days are not imported"):
        container.get_trending_projects()(GetTrendingProjects("month"))


def test_growth_is_rounded_and_projects_that_read_the_same_are_ordered_by_downloads(container, db):
    previous, current = LAST - timedelta(days=1), LAST
    import_days(container, {previous: {"p": (2000, 2000), "q": (2000, 2000)}, current: {"p": (3000, 3000)}})

    container.repository().refresh_rankings([Ranking("one-day", 1, 10, minimum=1)])

    # (3000 - 2000) / 2001 = 0.49975... rounds to 0.4998.
    assert container.read_store().ranking("one-day", 10).projects == [RankedProject("p", 3000, 2000, 0.4998)]


def test_a_changed_reimport_changes_the_rankings_at_the_refresh(container, db):
    import_days(container, {LAST: {"a": (10, 10), "b": (5, 5)}})
    built = container.get_top_packages()(GetTopPackages())

    use_days(container, {LAST: {"a": (1, 1), "b": (5, 5)}})
    container.import_day()(ImportDay(LAST))

    stale = container.get_top_packages()(GetTopPackages())
    assert top(container) == [("a", 10), ("b", 5)] and stale.last_update == built.last_update
    assert not container.repository().rankings_current(RANKINGS)
    container.refresh_rankings()(RefreshRankings(only_if_stale=True))
    assert top(container) == [("b", 5), ("a", 1)]
    assert container.get_top_packages()(GetTopPackages()).last_update == newest_import(db) > built.last_update
    assert container.refresh_rankings()(RefreshRankings(only_if_stale=True)) is None


def test_nothing_is_ranked_before_the_first_import(container, db):
    assert container.refresh_rankings()(RefreshRankings()) is None
    assert not container.repository().rankings_current(RANKINGS)
    with pytest.raises(RankingUnavailable):
        container.get_top_packages()(GetTopPackages())


def refreshes(caplog) -> int:
    return sum(record.getMessage() == "rankings refreshed" for record in caplog.records)


def test_a_range_rebuilds_the_rankings_once_when_it_ends(container, db, caplog):
    caplog.set_level(logging.INFO, logger="pepy.application.commands")
    days = {LAST - timedelta(days=n): {"a": (n + 1, n + 1)} for n in range(3)}
    use_days(container, days)

    results = list(container.import_range()(ImportRange(min(days), LAST)))

    assert len(results) == 3 and refreshes(caplog) == 1
    assert top(container) == [("a", 6)]


class FailsOnLastDay(RowsSource):
    def read_day(self, day):
        if day == LAST:
            raise SourceFailed("no export")
        return super().read_day(day)


def test_a_run_that_fails_part_way_still_ranks_the_days_it_stored(container, db, caplog):
    caplog.set_level(logging.INFO, logger="pepy.application.commands")
    use_days(container, {LAST - timedelta(days=1): {"a": (4, 4)}, LAST: {"a": (9, 9)}}, source=FailsOnLastDay)

    with pytest.raises(SourceFailed):
        list(container.import_range()(ImportRange(LAST - timedelta(days=1), LAST)))

    assert refreshes(caplog) == 1 and top(container) == [("a", 4)]


def test_the_daily_run_rebuilds_the_rankings_once(container, db, caplog):
    caplog.set_level(logging.INFO, logger="pepy.application.commands")
    use_days(container, {LAST - timedelta(days=n): {"a": (1, 1)} for n in range(3)})

    results = container.import_daily()(ImportDaily(refresh_days=2, gap_days=3))

    assert len(results) == 3 and refreshes(caplog) == 1 and top(container) == [("a", 3)]
