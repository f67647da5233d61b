"""Test doubles for ports: a source that serves given rows, optionally failing part-way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from pepy.domain.downloads import Breakdown, DayExport, DayRow
from pepy.domain.ports import DownloadsSource


class SourceFailed(RuntimeError):
    """The fake source's injected failure."""


class RowsSource(DownloadsSource):
    """Serves fixed DayRows per day; with fail_after=N, raises after yielding N rows."""

    name = "files"

    def __init__(self, rows_by_day: dict[date, Iterable[DayRow]], fail_after: int | None = None, bytes_billed: int = 0):
        self._rows_by_day = rows_by_day
        self._fail_after = fail_after
        self._bytes_billed = bytes_billed

    def read_day(self, day: date) -> DayExport:
        return DayExport(self._stream(list(self._rows_by_day.get(day, []))), self._bytes_billed)

    def _stream(self, rows: list[DayRow]) -> Iterator[DayRow]:
        for n, row in enumerate(rows):
            if self._fail_after is not None and n >= self._fail_after:
                raise SourceFailed(f"failed after {n} rows")
            yield row
        if self._fail_after is not None and self._fail_after >= len(rows):
            raise SourceFailed("failed at the end")


def day_rows(project: str, versions: dict[str, tuple[int, int, int]], **breakdowns: dict) -> list[DayRow]:
    """DayRows for one project: versions map to (downloads, non_mirror, pip); each breakdown maps
    category to (downloads, non_mirror). Without a breakdown given, a 'system' breakdown of one
    'Linux' category is added so the project's breakdowns sum to its total."""
    rows = [DayRow(project, Breakdown.VERSION, v, d, n, p) for v, (d, n, p) in versions.items()]
    if not breakdowns:
        total = sum(d for d, _, _ in versions.values())
        non_mirror = sum(n for _, n, _ in versions.values())
        breakdowns = {"system": {"Linux": (total, non_mirror)}}
    for breakdown, categories in breakdowns.items():
        rows += [DayRow(project, Breakdown(breakdown), c, d, n, 0) for c, (d, n) in categories.items()]
    return rows
