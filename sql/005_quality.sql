-- Great Expectations runs and the rows they turned away.
CREATE TABLE quality_results (
    run_id               text PRIMARY KEY,
    suite                text NOT NULL,
    batch_key            text,               -- which batch was validated (deterministic)
    success              boolean NOT NULL,
    evaluated_rows       integer NOT NULL,
    failed_rows          integer NOT NULL,
    statistics           jsonb NOT NULL,
    failed_expectations  jsonb NOT NULL,
    report_path          text,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE quarantine (
    quarantine_id  bigserial PRIMARY KEY,
    entity         text NOT NULL,            -- article | event
    entity_id      text NOT NULL,
    article_id     text,
    suite          text NOT NULL,
    expectation    text NOT NULL,            -- the failed expectation(s)
    reason         text NOT NULL,
    payload        jsonb NOT NULL,           -- the whole row, to re-process later
    run_id         text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz,              -- set when re-processed and loaded
    UNIQUE (entity, entity_id)
);
