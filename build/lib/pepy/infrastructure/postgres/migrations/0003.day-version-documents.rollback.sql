ALTER TABLE project_days DROP COLUMN versions_json, DROP COLUMN new_versions;
