-- Feeds and sites we poll, with the state that makes repeat polls cheap
-- (conditional GET) and failing sources visible.
CREATE TABLE sources (
    source_id             text PRIMARY KEY,          -- the name in config/sources.yml
    url                   text NOT NULL,
    kind                  text NOT NULL DEFAULT 'feed',
    lang                  text,
    etag                  text,
    last_modified         text,
    last_fetched_at       timestamptz,
    last_status           integer,
    last_error            text,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
