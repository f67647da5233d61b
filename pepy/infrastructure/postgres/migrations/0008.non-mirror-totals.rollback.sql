ALTER TABLE projects DROP COLUMN total_non_mirror_downloads;
