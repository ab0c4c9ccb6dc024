-- DuckDB only: the tables resolution rewrites lose their primary keys. DuckDB keeps a
-- key's index (ART) whole in memory, outside the buffer manager that honours its memory
-- cap ("avoid using indexes if possible", its out-of-memory guide): at a million
-- customers the keys of these four held 784 MB of a 1 GB cap and resolution failed, and
-- the key of the attribute sources alone made their seven million rows insert several
-- times slower.
-- Resolution writes one row per key by construction (one cluster per record, one
-- survivor per attribute); Postgres, whose indexes live on disk, keeps the keys.

CREATE TABLE core.match_pair_rebuilt (
    left_record TEXT NOT NULL,
    right_record TEXT NOT NULL,
    match_probability DOUBLE PRECISION NOT NULL,
    match_weight DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL
);
INSERT INTO core.match_pair_rebuilt SELECT left_record, right_record, match_probability, match_weight, explanation
FROM core.match_pair;
DROP TABLE core.match_pair;
ALTER TABLE core.match_pair_rebuilt RENAME TO match_pair;

CREATE TABLE core.match_record_rebuilt (
    record TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    scored_from DOUBLE PRECISION NOT NULL
);
INSERT INTO core.match_record_rebuilt SELECT record, fingerprint, model_version, scored_from FROM core.match_record;
DROP TABLE core.match_record;
ALTER TABLE core.match_record_rebuilt RENAME TO match_record;

CREATE TABLE core.customer_attribute_source_rebuilt (
    customer_id TEXT NOT NULL,
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    survivorship_rule TEXT NOT NULL,
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ NOT NULL
);
INSERT INTO core.customer_attribute_source_rebuilt
SELECT customer_id, attribute, value, survivorship_rule, source_system, source_entity, source_id, extracted_at,
    resolved_at
FROM core.customer_attribute_source;
DROP TABLE core.customer_attribute_source;
ALTER TABLE core.customer_attribute_source_rebuilt RENAME TO customer_attribute_source;

CREATE TABLE core.customer_xref_rebuilt (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    match_rule TEXT NOT NULL,
    match_weight DOUBLE PRECISION,
    resolved_at TIMESTAMPTZ NOT NULL
);
INSERT INTO core.customer_xref_rebuilt
SELECT source_system, source_entity, source_id, customer_id, match_rule, match_weight, resolved_at
FROM core.customer_xref;
DROP TABLE core.customer_xref;
ALTER TABLE core.customer_xref_rebuilt RENAME TO customer_xref;
