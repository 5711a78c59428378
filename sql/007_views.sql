-- Views for analysts (docs/WAREHOUSE.md shows them in use).
CREATE OR REPLACE VIEW v_events_daily AS
SELECT event_day, event_type, status, count(*) AS events, sum(mention_count) AS mentions
FROM events
WHERE event_day IS NOT NULL
GROUP BY event_day, event_type, status;

-- Country pairs by type and month. Symmetric types are folded so that
-- RUS-CHN and CHN-RUS meetings count together.
CREATE OR REPLACE VIEW v_dyads AS
SELECT
    date_trunc('month', e.event_day)::date AS month,
    e.event_type,
    CASE WHEN t.is_symmetric THEN least(e.source_country, e.target_country) ELSE e.source_country END AS country_a,
    CASE WHEN t.is_symmetric THEN greatest(e.source_country, e.target_country) ELSE e.target_country END AS country_b,
    t.is_symmetric,
    count(*) AS events,
    sum(e.mention_count) AS mentions
FROM events e
JOIN event_types t USING (event_type)
GROUP BY 1, 2, 3, 4, 5;
