-- One row per canonical article. Raw responses live in the archive
-- (.diplowatch/archive/, gzip, content-addressed); raw_path points there.
CREATE TABLE articles (
    article_id     text PRIMARY KEY,                 -- sha256(canonical_url), hex, 32 chars
    canonical_url  text NOT NULL UNIQUE,
    url            text NOT NULL,                    -- the URL we fetched
    source_id      text REFERENCES sources (source_id),
    title          text,
    text           text NOT NULL,
    published      timestamptz,
    lang           text,
    content_hash   text NOT NULL,
    simhash        bigint,
    duplicate_of   text REFERENCES articles (article_id),  -- exact or near duplicate of an earlier copy
    raw_path       text,
    fetched_at     timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz,                      -- NULL: waiting for event_extract
    extract_status text                              -- done, duplicate, quarantined, failed
);

CREATE INDEX articles_pending_idx ON articles (fetched_at) WHERE processed_at IS NULL;
CREATE INDEX articles_content_hash_idx ON articles (content_hash);
