ALTER TABLE project_days DROP COLUMN versions_without_ci_json;
ALTER TABLE version_downloads DROP COLUMN ci_downloads;
