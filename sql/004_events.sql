-- One row per real-world event (CONTRACT section 3). Several articles reporting
-- the same event (same type and country pair within a date window) are its
-- mentions; the event keeps the details of its first mention.
CREATE TABLE events (
    event_id          text PRIMARY KEY,
    event_type        text NOT NULL REFERENCES event_types (event_type),
    cameo_code        text NOT NULL,
    plover_type       text,
    plover_mode       text,
    source_actor      text,
    target_actor      text,
    source_country    text,
    target_country    text,
    source_role       text,
    target_role       text,
    location          text,
    location_country  text,
    event_date        text,          -- ISO 8601 truncated to its precision
    date_precision    text NOT NULL,
    event_day         date,          -- first day of event_date, for range queries
    status            text NOT NULL,
    context           text,
    attributed_to     text,
    sentence          text NOT NULL,
    lang              text,
    confidence        real NOT NULL,
    article_id        text REFERENCES articles (article_id),
    article_url       text,
    published         text,
    mention_count     integer NOT NULL DEFAULT 1,
    -- Dates between which another report of the same type and dyad counts as
    -- this event (cross-article dedup; see warehouse/load.py).
    match_from        date NOT NULL,
    match_to          date NOT NULL,
    loaded_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_dyad_idx ON events (event_type, source_country, target_country);

-- Every report of an event: one row per (article, extracted event). mention_id is
-- the deterministic id the extractor gives (same article + same event => same id).
CREATE TABLE event_mentions (
    mention_id     text PRIMARY KEY,
    event_id       text NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    article_id     text REFERENCES articles (article_id),
    status         text,
    event_date     text,
    attributed_to  text,
    sentence       text NOT NULL,
    confidence     real NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX event_mentions_event_idx ON event_mentions (event_id);
