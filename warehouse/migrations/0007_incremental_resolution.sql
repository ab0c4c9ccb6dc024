-- Incremental resolution: what the last run scored, so the next one scores only the
-- records that are new or changed since.

-- The romanized lead of the trade name (kaichang for 凯昌运输 and Kaichang Transportation),
-- computed once when a record is staged rather than on every resolve run.
ALTER TABLE staging.party ADD COLUMN name_lead TEXT;

-- Each staged record as matching last saw it: a digest of the fields it is compared on,
-- and the model and review floor its pairs were scored under.
CREATE TABLE core.match_record (
    record TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    scored_from DOUBLE PRECISION NOT NULL
);

-- Every plausible pair scored at or above the review floor, with the match weight each
-- compared field added: links are the pairs at or above the match probability.
CREATE TABLE core.match_pair (
    left_record TEXT NOT NULL,
    right_record TEXT NOT NULL,
    match_probability DOUBLE PRECISION NOT NULL,
    match_weight DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL,
    PRIMARY KEY (left_record, right_record)
);

-- Which comparisons, blocking and training produced a model: one of another recipe is
-- not reused.
ALTER TABLE meta.match_model ADD COLUMN recipe TEXT;
