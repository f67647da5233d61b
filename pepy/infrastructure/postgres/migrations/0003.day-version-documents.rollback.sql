ALTER TABLE project_days DROP COLUMN versions_json;
