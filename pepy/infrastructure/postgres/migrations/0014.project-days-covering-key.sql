-- depends: 0013.interleaved-recent-days

-- A day's two totals carried in project_days' key, so that a project's days over a window (pypistats' overall, and
-- v1, the charts and v3's series beyond the ring's 30 days) are read from the key alone, an index-only scan, where
-- each row was fetched from the table: in the month being imported a project's rows lie one block per day (a
-- finished month is rewritten in project order), and fetching its 30 cost PostgreSQL more than the rest of
-- overall's statement. The import vacuums the month after each day so that its blocks are all-visible, which an
-- index-only scan needs. 16 bytes more per row in the key: about 7 MB a production-scale day (README, Storage
-- design).
ALTER TABLE project_days DROP CONSTRAINT project_days_pkey;
ALTER TABLE project_days ADD CONSTRAINT project_days_pkey PRIMARY KEY (project_id, day)
    INCLUDE (downloads, non_mirror_downloads);
