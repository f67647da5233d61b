"""The rankings of every project: built from the stored days once per import run, read whole by the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

# The top list's length, as the monthly top-pypi-packages files have it.
TOP_LIST_SIZE = 15_000
# The trending list's length: the most any v3 list answers (the queries' MAX_LIMIT).
TRENDING_SIZE = 100


@dataclass(frozen=True)
class Ranking:
    """One ranking of every project over the `days` days ending on the last imported day, keeping the first `size`.

    A top list (no `minimum`) ranks by downloads, mirrors included (as the all-time totals count them), most
    first, ties by name. A trending list compares each project's downloads without mirrors (a mirror's sync is
    no one's use) with the `days` days before, scoring growth = (current - previous) / (previous + minimum),
    rounded to 4 decimals, among projects with at least `minimum` downloads that grew: highest first, ties by
    more current downloads, then name. `minimum` in the denominator damps growth from a small base (plain
    relative growth is infinite from 0): a base well above it keeps its relative growth, while from below it the
    score is at most downloads / minimum.
    """

    name: str
    days: int
    size: int
    minimum: int | None = None

    @property
    def trending(self) -> bool:
        """Whether this ranks growth against the period before, rather than downloads."""
        return self.minimum is not None

    def windows(self, last_day: date) -> tuple[tuple[date, date], tuple[date, date] | None]:
        """The ranked days (first and last) ending on the last imported day, and for trending the days before."""
        start = last_day - timedelta(days=self.days - 1)
        if not self.trending:
            return (start, last_day), None
        return (start, last_day), (start - timedelta(days=self.days), start - timedelta(days=1))


# hugovk's top-pypi-packages lists: the last 30 and the last 365 days.
TOP_LISTS = {days: Ranking(f"top-{days}-days", days, TOP_LIST_SIZE) for days in (30, 365)}
# About 150 downloads a day (without mirrors) is the floor: below it, bots and scanners that fetch every new
# upload, and a single CI pipeline, move a project's count by multiples. A month's floor is the week's per day.
TRENDING = {
    "week": Ranking("trending-week", 7, TRENDING_SIZE, minimum=1_000),
    "month": Ranking("trending-month", 30, TRENDING_SIZE, minimum=5_000),
}
RANKINGS = (*TOP_LISTS.values(), *TRENDING.values())


@dataclass(frozen=True)
class RankingsBuilt:
    """What a refresh built the rankings from: the newest successful import, and the day their windows end on."""

    last_import_at: datetime
    last_day: date
