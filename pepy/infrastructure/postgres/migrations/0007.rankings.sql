-- depends: 0006.compact-version-documents

-- The rankings of every project (pepy.domain.rankings), built by each import run from project_days and read
-- whole by the API: summing a year of days over every project per request would take seconds to minutes.
-- A refresh replaces them all in one transaction, from one snapshot; readers see the previous build until it
-- commits. Empty until the first refresh (`pepy db upgrade` builds them, or the next import run).
-- One row per ranking: the newest successful import it includes, the days it ranks (and for trending the days
-- before), and the days among them that no import covered.
CREATE TABLE rankings (
    ranking text PRIMARY KEY,
    last_import_at timestamptz NOT NULL,
    window_start date NOT NULL,
    window_end date NOT NULL,
    previous_start date,
    previous_end date,
    missing_days date[] NOT NULL,
    built_at timestamptz NOT NULL
);
-- Each ranking's first projects in order; the name is kept rather than the id, so a read is one index range.
CREATE TABLE ranked_projects (
    ranking text NOT NULL REFERENCES rankings ON DELETE CASCADE,
    position integer NOT NULL CHECK (position > 0),
    project text NOT NULL,
    downloads bigint NOT NULL CHECK (downloads >= 0),
    previous_downloads bigint,
    growth numeric,
    PRIMARY KEY (ranking, position)
);
