ALTER TABLE project_days DROP COLUMN categories_json;
