"""The SQL of the day documents the import stores in project_days (versions_json and its kin, categories_json):
how the import builds them, and reads that splice them as text, in day order, rather than build JSON per request."""

from __future__ import annotations

from psycopg2 import sql

from pepy.domain.downloads import Breakdown

# pypistats.org's breakdowns: the import keeps each day's non-mirror downloads per category of these in
# categories_json (migration 0011), which its answers read instead of one day partition of category_downloads
# per day.
DOCUMENTED_BREAKDOWNS = (Breakdown.PYTHON_MAJOR, Breakdown.PYTHON_MINOR, Breakdown.SYSTEM)


def _days_object(document: str) -> str:
    """SQL of the JSON object {"YYYY-MM-DD": <document>, ...} over the `days` rows whose document is not NULL, in
    day order: the stored texts spliced, not JSON built. The days are written in ISO, the DateStyle psycopg2
    sets on every session it opens (to_char took twice as long)."""
    return (
        """'{' || coalesce(string_agg('"' || day::text || '":' || """
        f"{document}, ',' ORDER BY day) FILTER (WHERE {document} IS NOT NULL), '') || '}}'"
    )


# The import stores each day's per-version downloads as JSON text (project_days.versions_json), so the answer
# is those texts spliced in day order, and no JSON built per request. A whole month of the range that is documented
# (month_documents.py: v2's window is whole months) is one row of project_month_documents, all of them one range of
# its key; the days from the first month that is not (the current one, at least) are read from project_days, found
# first so that only their monthly partitions are scanned. The versions are the months' and, of the days, the first
# day's keys and each later day's new versions (see migration 0003).
_DOCUMENTS = """
WITH project AS (SELECT id, total_downloads FROM projects WHERE name = $1),
days_from AS (
    SELECT coalesce(min(m)::date, $end + 1) AS day
    FROM generate_series($start, $end, interval '1 month') m
    WHERE (m + interval '1 month')::date > $end + 1
       OR NOT EXISTS (SELECT 1 FROM documented_months d WHERE d.month = m::date)
),
months AS MATERIALIZED (
    SELECT month, versions_json, versions FROM project_month_documents
    WHERE project_id = (SELECT id FROM project) AND month >= $start AND month < (SELECT day FROM days_from)
),
days AS MATERIALIZED (
    SELECT day, versions_json, new_versions FROM project_days
    WHERE project_id = (SELECT id FROM project) AND day >= (SELECT day FROM days_from) AND day <= $end
      AND versions_json IS NOT NULL
),
first_day AS (SELECT min(day) AS day FROM days)
"""
_VERSIONS = """
(SELECT coalesce(array_agg(DISTINCT version), '{}') FROM (
    SELECT unnest(versions) FROM months
    UNION ALL
    SELECT json_object_keys(versions_json::json) FROM days WHERE day = (SELECT day FROM first_day)
    UNION ALL
    SELECT unnest(new_versions) FROM days WHERE day > (SELECT day FROM first_day)
) seen(version))
"""
VERSION_DOWNLOADS = f"""{_DOCUMENTS}
SELECT total_downloads,
       '{{' || concat_ws(
           ',',
           (SELECT string_agg(versions_json, ',' ORDER BY month) FROM months),
           (SELECT string_agg('"' || day::text || '":' || versions_json, ',' ORDER BY day) FROM days)
       ) || '}}',
       {_VERSIONS}
FROM project
"""
# A day's total and its version document, one row per day; a project without days is one row of NULLs.
VERSION_DAYS = """
SELECT d.day, d.downloads, d.versions_json FROM projects p
LEFT JOIN project_days d ON d.project_id = p.id AND d.day BETWEEN %(start)s AND %(end)s
WHERE p.name = %(name)s ORDER BY d.day
"""
# Without mirrors the documents do not serve: the version rows themselves, beside each day's total.
NON_MIRROR_VERSION_DAYS = """
SELECT d.day, d.non_mirror_downloads, v.version, v.non_mirror_downloads FROM projects p
LEFT JOIN project_days d ON d.project_id = p.id AND d.day BETWEEN %(start)s AND %(end)s
LEFT JOIN version_downloads v ON v.project_id = p.id AND v.day = d.day AND v.day BETWEEN %(start)s AND %(end)s
WHERE p.name = %(name)s ORDER BY d.day
"""

# pepy.tech's Pro downloads, with CI or without it; without, also the days that have no CI split.
PRO_DOCUMENTS = {
    include_ci: f"""
WITH project AS (SELECT id FROM projects WHERE name = %(name)s),
days AS (
    SELECT day, {document} AS document FROM project_days
    WHERE project_id = (SELECT id FROM project) AND day BETWEEN %(start)s AND %(end)s AND versions_json IS NOT NULL
)
SELECT {_days_object("document")}, coalesce(array_agg(day ORDER BY day) FILTER (WHERE document IS NULL), '{{}}')
FROM days
HAVING EXISTS (SELECT 1 FROM project)
"""
    for include_ci, document in ((True, "versions_json"), (False, "versions_without_ci_json"))
}
# Any range v3 is asked for, so not prepared: the name bound by psycopg2, the days constants as in v2's.
VERSIONS = f"{_DOCUMENTS} SELECT {_VERSIONS} FROM project".replace("$1", "%s")


def category_documents(partition: str) -> sql.Composable:
    """SQL of each project's categories_json from a day's category partition, as rows (project_id,
    categories_json): {"python_major": [["3", 120], [null, 4]], ...}, categories in the order pypistats' answers
    give them (nulls last), only those with downloads. Migration 0011 wrote the days stored before the same way."""
    return sql.SQL(
        """SELECT project_id,
                  '{{' || string_agg(to_json(breakdown::text)::text || ':' || pairs, ',' ORDER BY breakdown) || '}}'
                      AS categories_json
           FROM (
               SELECT project_id, breakdown,
                      '[' || string_agg('[' || coalesce(to_json(category)::text, 'null') || ',' || non_mirror_downloads
                                        || ']', ',' ORDER BY category NULLS LAST) || ']' AS pairs
               FROM {partition}
               WHERE breakdown IN ({breakdowns}) AND non_mirror_downloads > 0
               GROUP BY project_id, breakdown
           ) b
           GROUP BY project_id"""
    ).format(
        partition=sql.Identifier(partition),
        breakdowns=sql.SQL(", ").join(sql.Literal(b.value) for b in DOCUMENTED_BREAKDOWNS),
    )
