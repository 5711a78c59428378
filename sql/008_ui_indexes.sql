-- Indexes for the events page and its API (plugins/diplowatch/ui/queries.py): newest-first
-- listing and date ranges, and `country` (which matches either side of the dyad).
CREATE INDEX IF NOT EXISTS events_day_idx ON events (event_day DESC NULLS LAST, event_id);
CREATE INDEX IF NOT EXISTS events_source_country_idx ON events (source_country);
CREATE INDEX IF NOT EXISTS events_target_country_idx ON events (target_country);
