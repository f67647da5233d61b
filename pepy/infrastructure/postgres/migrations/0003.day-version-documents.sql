-- depends: 0002.api-keys-and-rate-limits

-- Each project's downloads per version on a day, kept beside the day's totals as the text of a JSON object
-- ({"2.31.0": 120, ...}). pepy's v2 answer is these objects over ~120 days: read from the few monthly
-- partitions of project_days, one index range per partition, instead of one probe per day partition of
-- version_downloads. The import writes it with the day; retention clears it with the day's detail.
ALTER TABLE project_days ADD COLUMN versions_json text;

UPDATE project_days d SET versions_json = v.versions_json
FROM (
    SELECT project_id, day, json_object_agg(version, downloads ORDER BY version)::text AS versions_json
    FROM version_downloads GROUP BY project_id, day
) v
WHERE d.project_id = v.project_id AND d.day = v.day;
