DROP TABLE imports;
DROP TABLE category_downloads;
DROP TABLE version_downloads;
DROP TABLE project_days;
DROP TABLE projects;
DROP TYPE breakdown;
