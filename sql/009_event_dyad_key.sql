-- Cross-article dedup looks an event up by type and country pair. A plain
-- key column (the pair sorted for symmetric types) turns that lookup into an
-- index range scan instead of a scan of every event of the type. The loader
-- (warehouse/load.py) always fills it; rows inserted by hand without it are
-- simply not merged with later reports.
ALTER TABLE events ADD COLUMN dyad_key text;

UPDATE events e
SET dyad_key = CASE
    WHEN t.is_symmetric AND coalesce(e.target_country, '') < coalesce(e.source_country, '')
        THEN coalesce(e.target_country, '') || '|' || coalesce(e.source_country, '')
    ELSE coalesce(e.source_country, '') || '|' || coalesce(e.target_country, '')
END
FROM event_types t
WHERE t.event_type = e.event_type;

DROP INDEX IF EXISTS events_dyad_idx;
CREATE INDEX events_match_idx ON events (event_type, dyad_key, match_from);
