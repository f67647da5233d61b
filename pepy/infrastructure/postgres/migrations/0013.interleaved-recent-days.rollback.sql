CREATE TABLE project_recent_days_arrays (
    project_id integer PRIMARY KEY REFERENCES projects (id),
    days date[] NOT NULL CHECK (cardinality(days) = 30),
    downloads bigint[] NOT NULL CHECK (cardinality(downloads) = 30),
    non_mirror_downloads bigint[] NOT NULL CHECK (cardinality(non_mirror_downloads) = 30)
) WITH (fillfactor = 50);

INSERT INTO project_recent_days_arrays (project_id, days, downloads, non_mirror_downloads)
SELECT r.project_id,
       ARRAY(SELECT DATE '1970-01-01' + r.slots[3 * i - 2]::integer FROM generate_series(1, 30) i ORDER BY i),
       ARRAY(SELECT r.slots[3 * i - 1] FROM generate_series(1, 30) i ORDER BY i),
       ARRAY(SELECT r.slots[3 * i] FROM generate_series(1, 30) i ORDER BY i)
FROM project_recent_days r
ORDER BY r.project_id;

DROP TABLE project_recent_days;
ALTER TABLE project_recent_days_arrays RENAME TO project_recent_days;
ALTER TABLE project_recent_days RENAME CONSTRAINT project_recent_days_arrays_pkey TO project_recent_days_pkey;
ALTER TABLE project_recent_days RENAME CONSTRAINT project_recent_days_arrays_project_id_fkey
    TO project_recent_days_project_id_fkey;
ALTER TABLE project_recent_days RENAME CONSTRAINT project_recent_days_arrays_days_check
    TO project_recent_days_days_check;
ALTER TABLE project_recent_days RENAME CONSTRAINT project_recent_days_arrays_downloads_check
    TO project_recent_days_downloads_check;
ALTER TABLE project_recent_days RENAME CONSTRAINT project_recent_days_arrays_non_mirror_downloads_check
    TO project_recent_days_non_mirror_downloads_check;
