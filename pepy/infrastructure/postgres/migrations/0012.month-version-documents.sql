-- depends: 0011.day-category-documents

-- Each project's day documents of a finished month (project_days.versions_json, see 0003) in one row: the members
-- '"2026-10-01":{...},"2026-10-02":{...}' of v2's downloads object, in day order, and the versions they name. v2's
-- window is whole months (from the first of the month 90 days back), so its answer is these rows by one range of
-- their key, and the current month's days: not every day of three monthly partitions.
-- `pepy/infrastructure/postgres/month_documents.py` writes them after an import run, for the months v2 still
-- reaches, and drops the rest; writing a day of a month drops its documents, and the next run writes them again.
CREATE TABLE project_month_documents (
    project_id integer NOT NULL REFERENCES projects (id),
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    versions_json text NOT NULL,
    versions text[] NOT NULL,
    PRIMARY KEY (project_id, month)
);

-- The months whose documents are written, for every project: a month not listed is read from its days.
CREATE TABLE documented_months (
    month date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    projects integer NOT NULL,
    documented_at timestamptz NOT NULL DEFAULT now()
);
