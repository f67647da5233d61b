"""The one query that aggregates a day of raw downloads, written in BigQuery SQL and transpiled for DuckDB.

Both sources run this text, so they cannot drift apart: one scan of the day, grouped by GROUPING SETS
into one row per (project, breakdown, category), in the shape of pepy.domain.downloads.DayRow.
"""

from __future__ import annotations

import re

import sqlglot

from pepy.domain.downloads import MIRROR_INSTALLERS, Breakdown

_TABLE_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,2}")
# The name the files source gives its view over the raw rows.
LOCAL_TABLE = "file_downloads"

_CATEGORY_COLUMNS = [b.value for b in Breakdown]
_MIRRORS = ", ".join(f"'{name}'" for name in MIRROR_INSTALLERS)

_QUERY = r"""
SELECT
  project,
  CASE
{breakdown_cases}
  END AS breakdown,
  COALESCE({category_columns}) AS category,
  COUNT(*) AS downloads,
  COUNTIF(NOT is_mirror) AS non_mirror_downloads,
  -- COALESCE: DuckDB's COUNT_IF is NULL, not 0, when every condition in a group is NULL.
  COUNTIF(COALESCE(installer = 'pip', FALSE)) AS pip_downloads,
  COUNTIF(is_ci) AS ci_downloads
FROM (
  SELECT
    LOWER(REGEXP_REPLACE(project, r'[-_.]+', '-')) AS project,
    file.version AS version,
    REGEXP_EXTRACT(details.python, r'^(\d+)(?:\.|$)') AS python_major,
    REGEXP_EXTRACT(details.python, r'^(\d+\.\d+)') AS python_minor,
    CASE
      WHEN details.system.name IS NULL THEN NULL
      WHEN details.system.name IN ('Windows', 'Linux', 'Darwin') THEN details.system.name
      ELSE 'other'
    END AS system,
    details.installer.name AS installer,
    country_code AS country,
    CASE details.ci WHEN TRUE THEN 'true' WHEN FALSE THEN 'false' END AS ci,
    COALESCE(details.ci, FALSE) AS is_ci,
    file.type AS file_type,
    -- A NULL installer is not a mirror: counted on purpose, unlike pypistats.org.
    COALESCE(details.installer.name IN ({mirrors}), FALSE) AS is_mirror
  FROM {table}
  WHERE timestamp >= @start AND timestamp < @end
)
GROUP BY GROUPING SETS ({grouping_sets})
"""


def bigquery_day_query(table: str) -> str:
    """The day query in BigQuery SQL, over `table` (project.dataset.table), with @start and @end TIMESTAMPs."""
    if not _TABLE_NAME.fullmatch(table):
        raise ValueError(f"Invalid BigQuery table name {table!r}")
    cases = "\n".join(f"    WHEN GROUPING({c}) = 0 THEN '{c}'" for c in _CATEGORY_COLUMNS)
    return _QUERY.format(
        breakdown_cases=cases,
        category_columns=", ".join(_CATEGORY_COLUMNS),
        mirrors=_MIRRORS,
        table=f"`{table}`",
        grouping_sets=", ".join(f"(project, {c})" for c in _CATEGORY_COLUMNS),
    )


def duckdb_day_query() -> str:
    """The same query for DuckDB, over the view LOCAL_TABLE, with $start and $end parameters."""
    return sqlglot.transpile(bigquery_day_query(LOCAL_TABLE), read="bigquery", write="duckdb")[0]
