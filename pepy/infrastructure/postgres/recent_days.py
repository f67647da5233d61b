"""Each project's last RECENT_DAYS days of totals in one row (migrations 0010 and 0013), written by the import of a
day in the same transaction as the day, and read by key.

v1, the badges, pypistats' recent and v3's summary ask only for windows of at most 30 days ending on the last
imported day. The row is a ring of RECENT_DAYS slots of three numbers each: slot `(day - EPOCH) mod RECENT_DAYS`
holds the newest day imported into it (as days since EPOCH), with that day's downloads with mirrors and without.
A day's slot then tells its downloads: the day itself, its figures; an older day, none (an import writes every
project it has, and zeros for one it no longer has); a newer day, unknown: the ring no longer holds it, and the
read goes to project_days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pepy.domain.read_models import DayTotal, WindowSums

RECENT_DAYS = 30
# The numbers of a slot: its day (days since EPOCH), downloads with mirrors, without.
SLOT_WIDTH = 3
EPOCH = date(1970, 1, 1)
_ONE_DAY = timedelta(days=1)


# Run by the import once the day's rows are written, over `day_changes`: every project the day has, or had before
# this import, with zeros for one it no longer has. A new project's ring holds the day in its slot and zeros
# elsewhere (EPOCH, no downloads); a known one's slot is overwritten unless it holds a newer day (a backfill of an
# old day changes nothing here). The slot's three numbers are adjacent, so an update logs only them (0013).
WRITE = """
INSERT INTO project_recent_days AS r (project_id, slots)
SELECT project_id, array_fill(0::bigint, ARRAY[%(before)s]) || ARRAY[%(day_number)s, downloads, non_mirror_downloads]
                   || array_fill(0::bigint, ARRAY[%(after)s])
FROM day_changes
ORDER BY project_id
ON CONFLICT (project_id) DO UPDATE SET slots[%(first)s:%(last)s] = excluded.slots[%(first)s:%(last)s]
WHERE r.slots[%(first)s] <= %(day_number)s
"""

READ = """
SELECT p.total_downloads, p.total_non_mirror_downloads, r.slots
FROM projects p LEFT JOIN project_recent_days r ON r.project_id = p.id
WHERE p.name = $1
"""


def write_parameters(day: date) -> dict:
    """The parameters of WRITE for a day's import."""
    slot = slot_of(day)
    # PostgreSQL's arrays count from 1.
    return {
        "day_number": (day - EPOCH).days,
        "before": SLOT_WIDTH * slot,
        "after": SLOT_WIDTH * (RECENT_DAYS - slot - 1),
        "first": SLOT_WIDTH * slot + 1,
        "last": SLOT_WIDTH * (slot + 1),
    }


def slot_of(day: date) -> int:
    """The ring's slot (from 0) that holds the day."""
    return (day - EPOCH).days % RECENT_DAYS


@dataclass(frozen=True)
class RecentDays:
    """A project's all-time totals and its ring of recent days: RECENT_DAYS slots of (day as days since EPOCH,
    downloads, non-mirror downloads), or None when it has no ring yet, as for a project known only from a totals
    file."""

    total_downloads: int
    total_non_mirror_downloads: int
    slots: list[int] | None

    def day_totals(self, start: date, end: date) -> list[DayTotal] | None:
        """The days from start to end that have downloads, or None if the ring does not hold every one of them."""
        if self.slots is None:
            return None
        slots = self.slots
        found = []
        day, number, at = start, (start - EPOCH).days, SLOT_WIDTH * slot_of(start)
        while day <= end:
            held = slots[at]
            if held != number:
                if held > number:
                    return None
            elif slots[at + 1]:
                found.append(DayTotal(day, slots[at + 1], slots[at + 2]))
            day += _ONE_DAY
            number += 1
            at = at + SLOT_WIDTH if at < SLOT_WIDTH * (RECENT_DAYS - 1) else 0
        return found

    def sums(self, start: date, end: date) -> WindowSums | None:
        """The downloads from start to end, or None if the ring does not hold every day of them."""
        days = self.day_totals(start, end)
        if days is None:
            return None
        return WindowSums(sum(d.downloads for d in days), sum(d.non_mirror_downloads for d in days))
