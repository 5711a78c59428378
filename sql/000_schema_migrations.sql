-- Bookkeeping for `diplowatch db migrate`: one row per applied migration file.
-- Run before every migrate; safe to run again.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,            -- "001"
    name        text NOT NULL,               -- "001_sources.sql"
    checksum    text NOT NULL,               -- sha256 of the file when applied
    applied_at  timestamptz NOT NULL DEFAULT now()
);
