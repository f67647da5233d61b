-- The initial schema. The README's "Storage design" section gives the reasoning.

CREATE TYPE breakdown AS ENUM (
    'python_major', 'python_minor', 'system', 'installer', 'country', 'ci', 'file_type'
);

-- One row per project ever seen. total_downloads = base_downloads + the sum of project_days,
-- kept by each import moving it by the difference between the new and the old day.
-- fillfactor leaves room for HOT updates: every import updates the totals of the day's projects.
CREATE TABLE projects (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 512),
    base_downloads bigint NOT NULL DEFAULT 0 CHECK (base_downloads >= 0),
    total_downloads bigint NOT NULL DEFAULT 0 CHECK (total_downloads >= 0)
) WITH (fillfactor = 80);
-- text_pattern_ops serves both equality and prefix search (name LIKE 'fla%').
CREATE UNIQUE INDEX projects_name ON projects (name text_pattern_ops);

-- Per project and day, kept forever. Monthly partitions keep each index small enough for memory.
CREATE TABLE project_days (
    project_id integer NOT NULL,
    day date NOT NULL,
    downloads bigint NOT NULL CHECK (downloads >= 0),
    non_mirror_downloads bigint NOT NULL CHECK (non_mirror_downloads BETWEEN 0 AND downloads),
    pip_downloads bigint NOT NULL CHECK (pip_downloads BETWEEN 0 AND downloads),
    PRIMARY KEY (project_id, day)
) PARTITION BY RANGE (day);
CREATE INDEX project_days_day ON project_days (day);

-- Per project, version and day. One partition per day: an import builds the day's partition aside and
-- swaps it in when it commits, and retention drops whole partitions.
CREATE TABLE version_downloads (
    project_id integer NOT NULL,
    day date NOT NULL,
    version text NOT NULL,
    downloads bigint NOT NULL,
    non_mirror_downloads bigint NOT NULL,
    pip_downloads bigint NOT NULL
) PARTITION BY RANGE (day);

-- Per project, breakdown, category and day; category NULL is the explicit "null" category.
-- Partitioned and swapped like version_downloads.
CREATE TABLE category_downloads (
    project_id integer NOT NULL,
    day date NOT NULL,
    breakdown breakdown NOT NULL,
    category text,
    downloads bigint NOT NULL,
    non_mirror_downloads bigint NOT NULL
) PARTITION BY RANGE (day);

-- The import ledger: the last attempt at each day, and when the day last succeeded.
CREATE TABLE imports (
    day date PRIMARY KEY,
    source text NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    succeeded_at timestamptz,
    rows_written bigint NOT NULL DEFAULT 0,
    version_rows bigint NOT NULL DEFAULT 0,
    category_rows bigint NOT NULL DEFAULT 0,
    project_rows bigint NOT NULL DEFAULT 0,
    bytes_billed bigint NOT NULL DEFAULT 0,
    error text
);
