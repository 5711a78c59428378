-- Every failed feed or page fetch/parse: errors are data, the run goes on.
CREATE TABLE fetch_errors (
    error_id    bigserial PRIMARY KEY,
    run_key     text NOT NULL,              -- the ingest run that met the error
    source_id   text,
    url         text NOT NULL,
    stage       text NOT NULL,              -- feed | page | parse | archive | robots
    error       text NOT NULL,
    attempts    integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_key, url, stage)
);
