-- depends: 0003.day-version-documents

-- Fills versions_json and new_versions for every day stored before 0003. It takes row locks only, so an API
-- still running the previous release keeps answering throughout; it sorts every stored version row once
-- (the README's runbook gives its measured speed), so run it away from the 17:00 UTC import.
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
