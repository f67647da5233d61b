"""Each project's last RECENT_DAYS days of totals in one row (migration 0010), written by the import of a day in
the same transaction as the day, and read by key.

v1, the badges, pypistats' recent and v3's summary ask only for windows of at most 30 days ending on the last
imported day. The row is a ring: slot `(day - EPOCH) mod RECENT_DAYS` holds the newest day imported into it, with
that day's downloads with mirrors and without. A day's slot then tells its downloads: the day itself, its
figures; an older day, none (an import writes every project it has, and zeros for one it no longer has); a newer
day, unknown: the ring no longer holds it, and the read goes to project_days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pepy.domain.read_models import DayTotal, WindowSums

RECENT_DAYS = 30
EPOCH = date(1970, 1, 1)
_ONE_DAY = timedelta(days=1)


# Run by the import once the day's rows are written, over `day_changes`: every project the day has, or had before
# this import, with zeros for one it no longer has. A slot holding a newer day keeps it (a backfill of an old day
# changes nothing here).
def _ring_holding(fill: str, value: str) -> str:
    """SQL of a new row's ring: `fill` in every slot but the day's, which holds `value`."""
    return f"array_fill({fill}, ARRAY[%(slot)s - 1]) || {value} || array_fill({fill}, ARRAY[%(ring)s - %(slot)s])"


WRITE = f"""
INSERT INTO project_recent_days AS r (project_id, days, downloads, non_mirror_downloads)
SELECT project_id, {_ring_holding("%(epoch)s::date", "%(day)s::date")}, {_ring_holding("0::bigint", "downloads")},
       {_ring_holding("0::bigint", "non_mirror_downloads")}
FROM day_changes
ORDER BY project_id
ON CONFLICT (project_id) DO UPDATE SET days[%(slot)s] = %(day)s,
                                       downloads[%(slot)s] = excluded.downloads[%(slot)s],
                                       non_mirror_downloads[%(slot)s] = excluded.non_mirror_downloads[%(slot)s]
WHERE r.days[%(slot)s] <= %(day)s
"""

READ = """
SELECT p.total_downloads, p.total_non_mirror_downloads, r.days, r.downloads, r.non_mirror_downloads
FROM projects p LEFT JOIN project_recent_days r ON r.project_id = p.id
WHERE p.name = $1
"""


def write_parameters(day: date) -> dict:
    """The parameters of WRITE for a day's import."""
    # PostgreSQL's arrays count from 1.
    return {"day": day, "epoch": EPOCH, "ring": RECENT_DAYS, "slot": slot_of(day) + 1}


def slot_of(day: date) -> int:
    """The ring's slot (from 0) that holds the day."""
    return (day - EPOCH).days % RECENT_DAYS


@dataclass(frozen=True)
class RecentDays:
    """A project's all-time totals and its ring of recent days (None: no ring yet, as for a project known only
    from a totals file)."""

    total_downloads: int
    total_non_mirror_downloads: int
    days: list[date] | None
    downloads: list[int] | None
    non_mirror_downloads: list[int] | None

    def day_totals(self, start: date, end: date) -> list[DayTotal] | None:
        """The days from start to end that have downloads, or None if the ring does not hold every one of them."""
        if self.days is None:
            return None
        days, downloads, non_mirror = self.days, self.downloads, self.non_mirror_downloads
        found = []
        day, slot = start, slot_of(start)
        while day <= end:
            held = days[slot]
            if held != day:
                if held > day:
                    return None
            elif downloads[slot]:
                found.append(DayTotal(day, downloads[slot], non_mirror[slot]))
            day += _ONE_DAY
            slot = slot + 1 if slot < RECENT_DAYS - 1 else 0
        return found

    def sums(self, start: date, end: date) -> WindowSums | None:
        """The downloads from start to end, or None if the ring does not hold every day of them."""
        days = self.day_totals(start, end)
        if days is None:
            return None
        return WindowSums(sum(d.downloads for d in days), sum(d.non_mirror_downloads for d in days))
