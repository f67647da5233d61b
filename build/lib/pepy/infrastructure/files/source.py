"""A DownloadsSource over raw download rows in files: the BigQuery table exported to NDJSON or Parquet."""

from __future__ import annotations

import glob
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from pepy.domain.downloads import Breakdown, DayExport, DayRow
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
    CREATE MACRO utc_from_parts(text, p, source_file) AS CASE
      WHEN text IS NULL THEN NULL
      WHEN p.local = '' THEN
        error('the timestamp "' || text || '" in ' || source_file || ' is neither ISO 8601 nor BigQuery''s text')
      ELSE CAST(p.local AS TIMESTAMP) - to_minutes(
        CASE p.sign WHEN '' THEN 0 ELSE CAST(p.sign || '1' AS INTEGER) END
        * (CAST(COALESCE(NULLIF(p.hours, ''), '0') AS INTEGER) * 60
           + CAST(COALESCE(NULLIF(p.minutes, ''), '0') AS INTEGER))
      )
    END
    """,
    f"""
    CREATE MACRO utc_timestamp(text, source_file) AS utc_from_parts(
      text, regexp_extract(text, '{_TIMESTAMP_TEXT}', ['local', 'sign', 'hours', 'minutes']), source_file
    )
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
            # Otherwise DuckDB draws a progress bar on the terminal or into the server's logs.
            connection.execute("SET enable_progress_bar = false")
            self._create_view(connection, json_files, parquet_files)
            self._validate(connection, day, params)
            cursor = connection.execute(duckdb_day_query(), params)
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

    def _create_view(
        self, connection: duckdb.DuckDBPyConnection, json_files: list[str], parquet_files: list[str]
    ) -> None:
        for macro in _PARSE_TIMESTAMP_MACROS:
            connection.execute(macro)
        selects = []
        # `filename` is the reader's virtual column: the file each row came from, for the error messages.
        if json_files:
            selects.append(
                "SELECT utc_timestamp(timestamp, filename) AS timestamp, country_code, project, file, details, "
                "filename AS source_file "
                f"FROM read_json({_sql_list(json_files)}, format = 'newline_delimited', columns = {_JSON_COLUMNS})"
            )
        if parquet_files:
            source = f"read_parquet({_sql_list(parquet_files)}, union_by_name = true)"
            selects.append(
                f"SELECT {self._parquet_timestamp(connection, source)} AS timestamp, "
                "CAST(country_code AS VARCHAR) AS country_code, CAST(project AS VARCHAR) AS project, "
                f"CAST(file AS {_FILE_TYPE}) AS file, CAST(details AS {_DETAILS_TYPE}) AS details, "
                f"filename AS source_file FROM {source}"
            )
        connection.execute(f"CREATE VIEW {LOCAL_TABLE} AS {' UNION ALL '.join(selects)}")

    def _parquet_timestamp(self, connection: duckdb.DuckDBPyConnection, source: str) -> str:
        """The expression reading the Parquet files' timestamp as a UTC TIMESTAMP, once their schema is checked."""
        columns = dict(
            connection.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall()
        )
        where = f"The Parquet files {self._path}"
        missing = [c for c in ("timestamp", "country_code", "project", "file", "details") if c not in columns]
        if missing:
            raise InvalidImport(f"{where} lack the column(s) {', '.join(missing)} of the BigQuery table")
        for record in ("file", "details"):
            if not columns[record].startswith("STRUCT"):
                raise InvalidImport(f"{where} have a {record} column of type {columns[record]}, not a record")
        column_type = columns["timestamp"]
        if column_type.startswith("TIMESTAMPTZ") or column_type.endswith("WITH TIME ZONE"):
            # Through the stored instant, so that neither ICU nor the session's time zone is involved.
            return "CAST(make_timestamp_ns(epoch_ns(timestamp)) AS TIMESTAMP)"
        if column_type.startswith("TIMESTAMP"):
            return "CAST(timestamp AS TIMESTAMP)"
        if column_type == "VARCHAR":
            return "utc_timestamp(timestamp, filename)"
        raise InvalidImport(f"{where} have a timestamp column of type {column_type}, not a TIMESTAMP")

    @staticmethod
    def _validate(connection: duckdb.DuckDBPyConnection, day: date, params: dict) -> None:
        # Reads every row once, so that unparseable values anywhere in the files are reported up front.
        problems = {
            "timestamp IS NULL": "have no timestamp",
            "in_day AND project IS NULL": f"of {day} have no project (NULL or no `project` key)",
            "in_day AND trim(project) = ''": f"of {day} have an empty project",
        }
        found = connection.execute(
            "SELECT "
            + ", ".join(f"count(*) FILTER ({where}), min(source_file) FILTER ({where})" for where in problems)
            + f" FROM (SELECT *, timestamp >= $start AND timestamp < $end AS in_day FROM {LOCAL_TABLE})",
            params,
        ).fetchone()
        for index, problem in enumerate(problems.values()):
            rows, example = found[2 * index], found[2 * index + 1]
            if rows:
                raise InvalidImport(f"{rows} rows {problem}, e.g. in {example}")

    def _stream(
        self, day: date, connection: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection, spill_dir: str
    ) -> Iterator[DayRow]:
        try:
            while batch := cursor.fetchmany(self._batch_rows):
                for row in batch:
                    project, breakdown, *figures = row
                    yield DayRow(project, Breakdown(breakdown), *figures)
        except duckdb.Error as error:
            raise InvalidImport(f"Cannot import {day} from {self._path}: {_first_line(error)}") from error
        finally:
            _close(connection, spill_dir)


def _kind(name: str) -> str | None:
    name = name.lower()
    if name.removesuffix(".gz").endswith(_JSON_SUFFIXES):
        return "json"
    if name.endswith(_PARQUET_SUFFIX):
        return "parquet"
    return None


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _close(connection: duckdb.DuckDBPyConnection | None, spill_dir: str) -> None:
    if connection is not None:
        connection.close()
    shutil.rmtree(spill_dir, ignore_errors=True)
