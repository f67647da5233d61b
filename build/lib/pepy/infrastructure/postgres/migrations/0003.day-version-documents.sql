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
-- The rows already stored are filled by the next migration, in a transaction of its own: this one's lock on
-- project_days lasts only as long as adding two empty columns does.
ALTER TABLE project_days ADD COLUMN versions_json text, ADD COLUMN new_versions text[];
