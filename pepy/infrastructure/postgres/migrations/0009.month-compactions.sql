-- depends: 0008.non-mirror-totals

-- The months of project_days rewritten in (project_id, day) order, and when. A day's import appends every project's
-- row for that day, so a project's rows of a month lie in one heap block per day; rewritten in order they lie in
-- one or two, and a read of a project's 90 days touches a handful of blocks instead of 90. Writing a day of a month
-- (an import, or the purge of its documents) takes the month out of this table, so that it is rewritten again.
CREATE TABLE month_compactions (
    month date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    rows_written bigint NOT NULL,
    compacted_at timestamptz NOT NULL DEFAULT now()
);
