-- depends: 0002.api-keys-and-rate-limits

-- Each project's downloads per version on a day, kept beside the day's totals:
-- - versions_json: the text of the JSON object {"2.31.0": 120, ...}. pepy's v2 answer is these objects over
--   ~120 days, read from the few monthly partitions of project_days by one index range each, instead of one
--   probe per day partition of version_downloads.
-- - new_versions: the versions downloaded that day but not the day before (NULL when none). The versions of
--   any run of days are the first day's keys plus every later day's new versions: a few keys to merge rather
--   than every day's thousands for a project with thousands of versions.
-- The import writes both with the day (and refreshes the next day's new_versions); retention clears them with
-- the day's detail.
ALTER TABLE project_days ADD COLUMN versions_json text, ADD COLUMN new_versions text[];

-- The backfill sorts every stored version row once.
SET LOCAL work_mem = '256MB';
UPDATE project_days d SET versions_json = v.versions_json, new_versions = v.new_versions
FROM (
    SELECT project_id, day, json_object_agg(version, downloads ORDER BY version)::text AS versions_json,
           array_agg(version ORDER BY version) FILTER (WHERE previous_day IS DISTINCT FROM day - 1) AS new_versions
    FROM (
        SELECT project_id, day, version, downloads,
               lag(day) OVER (PARTITION BY project_id, version ORDER BY day) AS previous_day
        FROM version_downloads
    ) seen
    GROUP BY project_id, day
) v
WHERE d.project_id = v.project_id AND d.day = v.day;
