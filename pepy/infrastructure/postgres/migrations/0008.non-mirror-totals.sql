-- depends: 0007.rankings

-- The all-time downloads without mirrors, kept beside total_downloads as each import moves it: the base (whose
-- mirror share is unknown) plus every stored day's non-mirror downloads. Summing a project's days on each read
-- touched every monthly partition since its first day, a heap block per day.
ALTER TABLE projects ADD COLUMN total_non_mirror_downloads bigint NOT NULL DEFAULT 0
    CHECK (total_non_mirror_downloads >= 0);
UPDATE projects p SET total_non_mirror_downloads = p.base_downloads + coalesce(s.downloads, 0)
FROM projects q
LEFT JOIN (SELECT project_id, sum(non_mirror_downloads)::bigint AS downloads FROM project_days GROUP BY project_id) s
       ON s.project_id = q.id
WHERE q.id = p.id AND p.base_downloads + coalesce(s.downloads, 0) <> 0;
