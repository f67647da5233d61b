-- depends: 0001.initial-schema

-- API keys: only a hash of each secret is stored.
CREATE TABLE api_keys (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    secret_hash text NOT NULL UNIQUE,
    tier text NOT NULL,
    scopes text[] NOT NULL DEFAULT '{read}',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- Rate-limit state shared by every API process: one row per client, its GCRA "theoretical arrival time".
-- UNLOGGED: losing it in a crash only forgives some requests, and it skips the WAL on every request.
CREATE UNLOGGED TABLE rate_limits (
    client text PRIMARY KEY,
    tat timestamptz NOT NULL
);
