-- Pairs Splink scored in the uncertain band, waiting for a data steward, with what
-- agreed and what did not. Rebuilt by every resolve run; decided pairs leave it.
CREATE TABLE core.review_queue (
    left_record TEXT NOT NULL,
    right_record TEXT NOT NULL,
    match_probability DOUBLE PRECISION NOT NULL,
    match_weight DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL,
    queued_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (left_record, right_record)
);

-- What stewards decided, as data: honoured by every later resolve run.
-- must_link and cannot_link name two records; split names one (right_record NULL),
-- which then stands alone whatever matches it.
CREATE TABLE core.steward_decision (
    decision_id BIGINT PRIMARY KEY,
    decision TEXT NOT NULL,
    left_record TEXT NOT NULL,
    right_record TEXT,
    decided_by TEXT NOT NULL,
    note TEXT,
    decided_at TIMESTAMPTZ NOT NULL
);

-- Each trained matching model, as Splink's own JSON, so a run's links can be explained later.
CREATE TABLE meta.match_model (
    model_version BIGINT PRIMARY KEY,
    trained_at TIMESTAMPTZ NOT NULL,
    records INTEGER NOT NULL,
    settings_json TEXT NOT NULL
);
