ALTER TABLE project_days DROP CONSTRAINT project_days_pkey;
ALTER TABLE project_days ADD CONSTRAINT project_days_pkey PRIMARY KEY (project_id, day);
