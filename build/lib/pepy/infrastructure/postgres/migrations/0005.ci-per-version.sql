-- depends: 0004.day-version-documents-backfill

-- The CI split per version, for pepy.tech's Pro downloads without CI:
-- - version_downloads.ci_downloads: the version's downloads whose details.ci was true. NULL on a day imported
--   before this migration: that day has no CI split until it is imported again (the API says so).
-- - project_days.versions_without_ci_json: the text of the JSON object {"2.31.0": 118, ...} of the day's
--   downloads not from CI (versions with none left out), beside versions_json; NULL without the CI split.
-- Adding empty columns changes no row, so the lock this takes on both tables lasts a moment.
ALTER TABLE version_downloads ADD COLUMN ci_downloads bigint;
ALTER TABLE project_days ADD COLUMN versions_without_ci_json text;
