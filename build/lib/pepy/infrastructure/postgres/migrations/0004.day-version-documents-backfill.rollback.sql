UPDATE project_days SET versions_json = NULL, new_versions = NULL;
