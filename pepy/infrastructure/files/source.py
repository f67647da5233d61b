"""A DownloadsSource over raw download rows in files: the BigQuery table exported to NDJSON or Parquet."""

from __future__ import annotations

import glob
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from pepy.domain.downloads import DayExport, DayRow
from pepy.domain.errors import InvalidImport
from pepy.domain.ports import DownloadsSource
from pepy.infrastructure.day_query import LOCAL_TABLE, duckdb_day_query

_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
_PARQUET_SUFFIX = ".parquet"

# Only the fields the day query reads, plus their siblings; a struct cast by name ignores extra fields.
_FILE_TYPE = "STRUCT(filename VARCHAR, project VARCHAR, version VARCHAR, type VARCHAR)"
_DETAILS_TYPE = (
    "STRUCT(installer STRUCT(name VARCHAR, version VARCHAR), python VARCHAR, "
    "implementation STRUCT(name VARCHAR, version VARCHAR), system STRUCT(name VARCHAR, release VARCHAR), "
    "cpu VARCHAR, ci BOOLEAN)"
)
# Declared so that a column that is NULL in every row keeps its type, and keys not listed are skipped.
_JSON_COLUMNS = (
    f"{{'timestamp': 'VARCHAR', 'country_code': 'VARCHAR', 'project': 'VARCHAR', "
    f"'file': '{_FILE_TYPE}', 'details': '{_DETAILS_TYPE}'}}"
)

# ISO 8601 and BigQuery's export text ("2026-11-20 13:45:00.123456 UTC"). DuckDB's own cast to TIMESTAMP
# drops a "+02:00" offset instead of applying it, and TIMESTAMPTZ casts depend on the ICU extension.
_TIMESTAMP_TEXT = r"^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?) ?(?:[Zz]|UTC|([+-])(\d\d)(?::?(\d\d))?)?$"
_PARSE_TIMESTAMP_MACROS = (
    """
    CREATE MACRO utc_from_parts(text, p) AS CASE
      WHEN text IS NULL THEN NULL
      WHEN p.local = '' THEN error('the timestamp "' || text || '" is neither ISO 8601 nor BigQuery''s text')
      ELSE CAST(p.local AS TIMESTAMP) - to_minutes(
        CASE p.sign WHEN '' THEN 0 ELSE CAST(p.sign || '1' AS INTEGER) END
        * (CAST(COALESCE(NULLIF(p.hours, ''), '0') AS INTEGER) * 60
           + CAST(COALESCE(NULLIF(p.minutes, ''), '0') AS INTEGER))
      )
    END
    """,
    f"""
    CREATE MACRO utc_timestamp(text) AS
      utc_from_parts(text, regexp_extract(text, '{_TIMESTAMP_TEXT}', ['local', 'sign', 'hours', 'minutes']))
    """,
)


class FilesSource(DownloadsSource):
    """Raw download rows from NDJSON (optionally gzipped) or Parquet files, in the BigQuery table's schema.

    `path` is a glob, a file, or a directory (all supported files under it). A day is aggregated in an
    in-memory DuckDB by the same query BigQuery runs; all timestamps are read as UTC instants.
    """

    name = "files"

    def __init__(self, path: str | None, batch_rows: int = 50_000, memory_limit: str = "1GB"):
        self._path = path
        self._batch_rows = batch_rows
        self._memory_limit = memory_limit

    def read_day(self, day: date) -> DayExport:
        """Check the files and aggregate the day; errors surface here, before any row is yielded."""
        json_files, parquet_files = self._files()
        start = datetime.combine(day, time())
        params = {"start": start, "end": start + timedelta(days=1)}
        spill_dir = tempfile.mkdtemp(prefix="pepy-files-")
        connection = None
        try:
            connection = duckdb.connect(
                config={
                    "memory_limit": self._memory_limit,
                    "temp_directory": spill_dir,
                    "preserve_insertion_order": False,
                }
            )
            self._create_view(connection, json_files, parquet_files)
            self._validate(connection, day, params)
            # Some engines' COUNTIF is NULL over all-NULL input where BigQuery's is 0.
            cursor = connection.execute(
                "SELECT project, breakdown, category, CAST(downloads AS BIGINT), "
                "CAST(COALESCE(non_mirror_downloads, 0) AS BIGINT), CAST(COALESCE(pip_downloads, 0) AS BIGINT) "
                f"FROM ({duckdb_day_query()})",
                params,
            )
        except duckdb.Error as error:
            _close(connection, spill_dir)
            raise InvalidImport(f"Cannot import {day} from {self._path}: {_first_line(error)}") from error
        except BaseException:
            _close(connection, spill_dir)
            raise
        return DayExport(rows=self._stream(day, connection, cursor, spill_dir), bytes_billed=0)

    def _files(self) -> tuple[list[str], list[str]]:
        if not self._path:
            raise InvalidImport("No downloads files are configured for the files source")
        if Path(self._path).is_dir():
            matched = [str(p) for p in sorted(Path(self._path).rglob("*")) if p.is_file() and _kind(p.name)]
        else:
            matched = [p for p in sorted(glob.glob(self._path, recursive=True)) if Path(p).is_file()]
            unsupported = [p for p in matched if not _kind(p)]
            if unsupported:
                raise InvalidImport(
                    f"Unsupported downloads files {', '.join(unsupported[:5])}: "
                    "expected .json, .jsonl or .ndjson (optionally .gz) or .parquet"
                )
        if not matched:
            raise InvalidImport(f"No downloads files (.json, .jsonl, .ndjson, .gz, .parquet) match {self._path}")
        return [p for p in matched if _kind(p) == "json"], [p for p in matched if _kind(p) == "parquet"]

    @staticmethod
    def _create_view(connection: duckdb.DuckDBPyConnection, json_files: list[str], parquet_files: list[str]) -> None:
        for macro in _PARSE_TIMESTAMP_MACROS:
            connection.execute(macro)
        selects = []
        if json_files:
            selects.append(
                "SELECT utc_timestamp(timestamp) AS timestamp, country_code, project, file, details "
                f"FROM read_json({_sql_list(json_files)}, format = 'newline_delimited', columns = {_JSON_COLUMNS})"
            )
        if parquet_files:
            source = f"read_parquet({_sql_list(parquet_files)}, union_by_name = true)"
            selects.append(
                f"SELECT {_parquet_timestamp(connection, source)} AS timestamp, "
                "CAST(country_code AS VARCHAR) AS country_code, CAST(project AS VARCHAR) AS project, "
                f"CAST(file AS {_FILE_TYPE}) AS file, CAST(details AS {_DETAILS_TYPE}) AS details FROM {source}"
            )
        connection.execute(f"CREATE VIEW {LOCAL_TABLE} AS {' UNION ALL '.join(selects)}")

    def _validate(self, connection: duckdb.DuckDBPyConnection, day: date, params: dict) -> None:
        # Reads every row once, so that unparseable values anywhere in the files are reported up front.
        no_timestamp, no_project, empty_project = connection.execute(
            "SELECT count(*) FILTER (WHERE timestamp IS NULL), "
            "count(*) FILTER (WHERE timestamp >= $start AND timestamp < $end AND project IS NULL), "
            "count(*) FILTER (WHERE timestamp >= $start AND timestamp < $end AND trim(project) = '') "
            f"FROM {LOCAL_TABLE}",
            params,
        ).fetchone()
        if no_timestamp:
            raise InvalidImport(f"{no_timestamp} rows in {self._path} have no timestamp")
        if no_project:
            raise InvalidImport(
                f"{no_project} rows of {day} in {self._path} have no project (NULL or no `project` key)"
            )
        if empty_project:
            raise InvalidImport(f"{empty_project} rows of {day} in {self._path} have an empty project")

    def _stream(
        self, day: date, connection: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection, spill_dir: str
    ) -> Iterator[DayRow]:
        try:
            while batch := cursor.fetchmany(self._batch_rows):
                for row in batch:
                    yield DayRow(*row)
        except duckdb.Error as error:
            raise InvalidImport(f"Cannot import {day} from {self._path}: {_first_line(error)}") from error
        finally:
            _close(connection, spill_dir)


def _kind(name: str) -> str | None:
    name = name.lower().removesuffix(".gz")
    if name.endswith(_JSON_SUFFIXES):
        return "json"
    if name.endswith(_PARQUET_SUFFIX) and not name.endswith(".parquet.gz"):
        return "parquet"
    return None


def _parquet_timestamp(connection: duckdb.DuckDBPyConnection, source: str) -> str:
    column_type = connection.execute(f"DESCRIBE SELECT timestamp FROM {source}").fetchone()[1]
    if column_type == "TIMESTAMP WITH TIME ZONE":
        # The stored instant in microseconds, whatever the session's time zone.
        return "make_timestamp(epoch_us(timestamp))"
    if column_type.startswith("TIMESTAMP"):
        return "CAST(timestamp AS TIMESTAMP)"
    if column_type == "VARCHAR":
        return "utc_timestamp(timestamp)"
    raise InvalidImport(f"The timestamp column of the Parquet files is {column_type}, not a TIMESTAMP")


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def _close(connection: duckdb.DuckDBPyConnection | None, spill_dir: str) -> None:
    if connection is not None:
        connection.close()
    shutil.rmtree(spill_dir, ignore_errors=True)
