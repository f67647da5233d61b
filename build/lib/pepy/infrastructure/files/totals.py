"""Reading base totals from a CSV file of `project,total_downloads` rows."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from pepy.domain.errors import DomainError, InvalidImport
from pepy.domain.model import Downloads, ProjectName

HEADER = ["project", "total_downloads"]


def read_base_totals(path: str) -> Iterator[tuple[ProjectName, Downloads]]:
    """Validated (name, total) pairs; an InvalidImport names the first bad line."""
    file = Path(path)
    if not file.is_file():
        raise InvalidImport(f"No such file: {path}")
    try:
        handle = file.open(newline="", encoding="utf-8")
    except OSError as error:
        raise InvalidImport(f"Cannot read {path}: {error.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            for row in reader:
                line = reader.line_num
                if line == 1 and [c.strip().lower() for c in row] == HEADER:
                    continue
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != 2:
                    raise InvalidImport(
                        f"{path}, line {line}: expected 2 columns (project,total_downloads), got {len(row)}"
                    )
                try:
                    count = int(row[1].strip())
                except ValueError:
                    raise InvalidImport(
                        f"{path}, line {line}: total_downloads {row[1]!r} is not a whole number"
                    ) from None
                try:
                    yield ProjectName(row[0].strip()), Downloads(count)
                except DomainError as error:
                    raise InvalidImport(f"{path}, line {line}: {error}") from None
        except (UnicodeDecodeError, csv.Error) as error:
            raise InvalidImport(f"{path}, line {reader.line_num}: not a readable CSV file ({error})") from None
