"""The ring of each project's recent days (migration 0010), kept by the import: whatever order days are imported,
re-imported or backfilled in, what it answers is what project_days holds, and it answers every window of up to 30
days ending on the newest imported day."""

import random
from datetime import date, timedelta

from pepy.domain.read_models import DayTotal, WindowSums
from pepy.infrastructure.postgres.recent_days import EPOCH, RECENT_DAYS, SLOT_WIDTH, RecentDays
from tests.conftest import fetch_all
from tests.fakes import day_rows

START = date(2026, 8, 1)
PROJECTS = ["alpha", "beta", "gamma", "delta"]


def random_day(rng: random.Random, day: date) -> list:
    """Some of the projects, each with random downloads (a project left out had none that day)."""
    rows = []
    for name in PROJECTS:
        if rng.random() < 0.6:
            downloads = rng.randint(1, 1000)
            rows += day_rows(name, {"1.0": (downloads, rng.randint(0, downloads), 0)})
    return rows


def rings(url: str) -> dict[str, RecentDays]:
    rows = fetch_all(
        url,
        """SELECT p.name, p.total_downloads, p.total_non_mirror_downloads, r.slots
           FROM projects p LEFT JOIN project_recent_days r ON r.project_id = p.id""",
    )
    return {name: RecentDays(*rest) for name, *rest in rows}


def stored_days(url: str) -> dict[str, list[DayTotal]]:
    found: dict[str, list[DayTotal]] = {name: [] for name in PROJECTS}
    for name, day, downloads, non_mirror in fetch_all(
        url,
        """SELECT p.name, d.day, d.downloads, d.non_mirror_downloads FROM project_days d
           JOIN projects p ON p.id = d.project_id ORDER BY d.day""",
    ):
        found[name].append(DayTotal(day, downloads, non_mirror))
    return found


def between(days: list[DayTotal], start: date, end: date) -> list[DayTotal]:
    return [d for d in days if start <= d.day <= end]


def test_the_ring_agrees_with_project_days_whatever_the_order_of_imports(container, db):
    rng = random.Random(15)
    repository = container.repository()
    days = [START + timedelta(days=n) for n in range(70)]
    # Forward, then backfills of old days and re-runs of recent ones with other figures, in a random order.
    order = days[20:] + rng.sample(days[:20], 20) + rng.sample(days[40:], 15)
    for step, day in enumerate(order):
        repository.replace_day(day, "files", random_day(rng, day), 0)
        if step % 10 and day != order[-1]:
            continue
        stored, answered_by_ring = stored_days(db), 0
        last = max(order[: step + 1])
        for name, ring in rings(db).items():
            for end in [last - timedelta(days=n) for n in range(0, 60, 3)]:
                for length in (1, 7, 30):
                    start = end - timedelta(days=length - 1)
                    answer = ring.day_totals(start, end)
                    if answer is not None:
                        answered_by_ring += 1
                        assert answer == between(stored[name], start, end), (name, start, end)
                    elif end == last:
                        raise AssertionError(f"the ring of {name} does not hold {start}..{end}")
        assert answered_by_ring
    # Each slot holds the newest day imported into it: a backfill of an older day never overwrote it.
    stored = stored_days(db)
    for name, ring in rings(db).items():
        assert len(ring.slots) == SLOT_WIDTH * RECENT_DAYS
        for slot in range(RECENT_DAYS):
            held = ring.slots[SLOT_WIDTH * slot]
            assert held == 0 or held % RECENT_DAYS == slot
            assert all((d.day - EPOCH).days <= held for d in stored[name] if (d.day - EPOCH).days % RECENT_DAYS == slot)


def test_a_project_a_rerun_no_longer_has_reads_zero_on_that_day(container, db):
    repository = container.repository()
    day = date(2026, 11, 19)
    repository.replace_day(
        day, "files", day_rows("alpha", {"1.0": (5, 4, 0)}) + day_rows("beta", {"1.0": (3, 3, 0)}), 0
    )
    repository.replace_day(day, "files", day_rows("alpha", {"1.0": (6, 6, 0)}), 0)
    ring = rings(db)
    assert ring["alpha"].day_totals(day, day) == [DayTotal(day, 6, 6)]
    assert ring["beta"].day_totals(day - timedelta(days=29), day) == []
    assert ring["beta"].sums(day - timedelta(days=6), day) == WindowSums(0, 0)


def test_the_read_store_answers_windows_the_ring_holds_and_older_ones_alike(container, db):
    repository = container.repository()
    days = [date(2026, 9, 1) + timedelta(days=n) for n in range(80)]
    for n, day in enumerate(days):
        repository.replace_day(day, "files", day_rows("alpha", {"1.0": (n + 1, n, 0)}), 0)
    store = container.read_store()
    stored = stored_days(db)["alpha"]
    for end in (days[-1], days[-1] - timedelta(days=45)):  # in the ring, then only in project_days
        windows = [(end - timedelta(days=length - 1), end) for length in (1, 7, 30)]
        sums = store.sums("alpha", windows)
        assert sums.total_downloads == sum(d.downloads for d in stored)
        assert sums.windows == [
            WindowSums(
                sum(d.downloads for d in between(stored, s, e)),
                sum(d.non_mirror_downloads for d in between(stored, s, e)),
            )
            for s, e in windows
        ]
        assert store.day_totals("alpha", *windows[2]).days == between(stored, *windows[2])
    assert store.sums("nobody", [(days[-1], days[-1])]) is None
    assert store.day_totals("nobody", days[-1], days[-1]) is None
