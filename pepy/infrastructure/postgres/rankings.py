"""The rankings' SQL on the write side: every ranking built from one scan of project_days (see migration 0007)."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg2 import sql

from pepy.domain.rankings import Ranking, RankingsBuilt

_LEDGER = "SELECT max(succeeded_at), max(day) FILTER (WHERE succeeded_at IS NOT NULL) FROM imports"

_CURRENT = """
SELECT coalesce(count(*) = %(count)s AND bool_and(r.last_import_at = i.newest), false)
FROM rankings r CROSS JOIN (SELECT max(succeeded_at) AS newest FROM imports) i
WHERE r.ranking = ANY(%(names)s)
"""

# Each project's sums over every ranking's days, from one scan of the widest span (a year and the day totals'
# monthly partitions it covers). The temporary table's columns are current_<n> and previous_<n> per ranking n.
_SUMS = """
CREATE TEMP TABLE ranking_sums ON COMMIT DROP AS
SELECT project_id, {sums} FROM project_days WHERE day BETWEEN {reach} AND {last_day} GROUP BY project_id
"""

_RANKING = """
INSERT INTO rankings (ranking, last_import_at, window_start, window_end, previous_start, previous_end, missing_days,
                      built_at)
SELECT {name}, {last_import_at}, {start}, {end}, {previous_start}, {previous_end},
       (SELECT coalesce(array_agg(d::date ORDER BY d), '{{}}')
        FROM generate_series({first}::date, {end}::date, interval '1 day') d
        WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.day = d::date AND i.succeeded_at IS NOT NULL)),
       clock_timestamp()
"""

# The first `size` by downloads, ties by name. WITH TIES keeps every project tied with the last one kept, so that
# only those few need their names looked up before the order by name cuts the list.
_TOP = """
INSERT INTO ranked_projects (ranking, position, project, downloads)
SELECT {name}, position, project, downloads FROM (
    SELECT row_number() OVER (ORDER BY t.downloads DESC, p.name) AS position, p.name AS project, t.downloads
    FROM (
        SELECT project_id, {current} AS downloads FROM ranking_sums WHERE {current} > 0
        ORDER BY {current} DESC FETCH FIRST {size} ROWS WITH TIES
    ) t
    JOIN projects p ON p.id = t.project_id
) ranked
WHERE position <= {size}
"""

# Growth rounded as answered, so that projects whose growth reads the same are ordered by the tie rules.
_TRENDING = """
INSERT INTO ranked_projects (ranking, position, project, downloads, previous_downloads, growth)
SELECT {name}, position, project, downloads, previous, growth FROM (
    SELECT row_number() OVER (ORDER BY t.growth DESC, t.downloads DESC, p.name) AS position, p.name AS project,
           t.downloads, t.previous, t.growth
    FROM (
        SELECT project_id, downloads, previous, growth FROM (
            SELECT project_id, {current} AS downloads, {previous} AS previous,
                   round(({current} - {previous})::numeric / ({previous} + {minimum}), 4) AS growth
            FROM ranking_sums WHERE {current} >= {minimum}
        ) scored
        WHERE growth > 0
        ORDER BY growth DESC, downloads DESC FETCH FIRST {size} ROWS WITH TIES
    ) t
    JOIN projects p ON p.id = t.project_id
) ranked
WHERE position <= {size}
"""


def current(cur, rankings: Sequence[Ranking]) -> bool:
    """Whether each ranking is stored and built from the newest successful import."""
    cur.execute(_CURRENT, {"count": len(rankings), "names": [r.name for r in rankings]})
    return cur.fetchone()[0]


def build(cur, rankings: Sequence[Ranking]) -> RankingsBuilt | None:
    """Replace the stored rankings with these, in the cursor's transaction; it must be REPEATABLE READ, so that
    the ledger read here and the days summed are one snapshot."""
    cur.execute(_LEDGER)
    last_import_at, last_day = cur.fetchone()
    cur.execute("DELETE FROM rankings")
    if last_day is None:
        return None
    windows = [ranking.windows(last_day) for ranking in rankings]
    sums = []
    for n, (ranking, (days, previous)) in enumerate(zip(rankings, windows, strict=True)):
        counted = sql.Identifier("non_mirror_downloads" if ranking.trending else "downloads")
        for column, span in ((f"current_{n}", days), (f"previous_{n}", previous)):
            if span is not None:
                sums.append(
                    sql.SQL(
                        "coalesce(sum({counted}) FILTER (WHERE day BETWEEN {a} AND {b}), 0)::bigint AS {column}"
                    ).format(
                        counted=counted, a=sql.Literal(span[0]), b=sql.Literal(span[1]), column=sql.Identifier(column)
                    )
                )
    reach = min((previous or days)[0] for days, previous in windows)
    cur.execute(
        sql.SQL(_SUMS).format(sums=sql.SQL(", ").join(sums), reach=sql.Literal(reach), last_day=sql.Literal(last_day))
    )
    for n, (ranking, ((start, end), previous)) in enumerate(zip(rankings, windows, strict=True)):
        cur.execute(
            sql.SQL(_RANKING).format(
                name=sql.Literal(ranking.name),
                last_import_at=sql.Literal(last_import_at),
                start=sql.Literal(start),
                end=sql.Literal(end),
                previous_start=sql.Literal(previous and previous[0]),
                previous_end=sql.Literal(previous and previous[1]),
                first=sql.Literal((previous or (start, end))[0]),
            )
        )
        columns = {"current": sql.Identifier(f"current_{n}"), "previous": sql.Identifier(f"previous_{n}")}
        cur.execute(
            sql.SQL(_TRENDING if ranking.trending else _TOP).format(
                name=sql.Literal(ranking.name),
                size=sql.Literal(ranking.size),
                minimum=sql.Literal(ranking.minimum),
                **columns,
            )
        )
    return RankingsBuilt(last_import_at, last_day)
