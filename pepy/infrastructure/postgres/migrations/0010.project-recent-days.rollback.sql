DROP TABLE project_recent_days;
