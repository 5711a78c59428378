-- The taxonomy (CONTRACT section 5). Its rows are written by `diplowatch db migrate`
-- from plugins/diplowatch/events/data/taxonomy.yml, the single definition.
CREATE TABLE event_types (
    event_type   text PRIMARY KEY,
    cameo_code   text NOT NULL,
    plover_type  text NOT NULL,
    plover_mode  text,
    is_symmetric boolean NOT NULL,
    description  text NOT NULL
);
