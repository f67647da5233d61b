-- depends: 0009.month-compactions

-- Each project's totals of its last 30 days in one row, which the import keeps in the same transaction as the days
-- (pepy/infrastructure/postgres/recent_days.py describes the ring). v1, the badges, pypistats' recent and v3's
-- summary find it by its key, where a read of project_days is planned over its monthly partitions and touches a
-- heap block per day of the current month.
-- fillfactor leaves room for HOT updates: every import rewrites the rows of the day's projects.
CREATE TABLE project_recent_days (
    project_id integer PRIMARY KEY REFERENCES projects (id),
    days date[] NOT NULL CHECK (cardinality(days) = 30),
    downloads bigint[] NOT NULL CHECK (cardinality(downloads) = 30),
    non_mirror_downloads bigint[] NOT NULL CHECK (cardinality(non_mirror_downloads) = 30)
) WITH (fillfactor = 50);

-- Every project's ring over the 30 days ending on the last stored day, a slot without downloads holding its day with
-- 0: no slot then holds a day older than those 30 (whose downloads this does not read), and a read of an older day
-- goes to project_days.
INSERT INTO project_recent_days (project_id, days, downloads, non_mirror_downloads)
SELECT p.id,
       array_agg(r.day ORDER BY r.slot),
       array_agg(coalesce(d.downloads, 0) ORDER BY r.slot),
       array_agg(coalesce(d.non_mirror_downloads, 0) ORDER BY r.slot)
FROM projects p
CROSS JOIN (
    SELECT last.day - n AS day, (last.day - n - DATE '1970-01-01') % 30 AS slot
    FROM (SELECT coalesce(max(day), DATE '1970-01-30') AS day FROM project_days) last, generate_series(0, 29) n
) r
LEFT JOIN project_days d ON d.project_id = p.id AND d.day = r.day
GROUP BY p.id;
