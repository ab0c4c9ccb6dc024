-- The first schema: landing, staging, quarantine, golden records, marts and run metadata.
-- Portable SQL that DuckDB and Postgres both accept; raw tables are created per source
-- entity by the connectors, because their columns come from the source.

CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;

-- One row per stage (and source) per pipeline run.
CREATE TABLE meta.pipeline_run (
    run_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_in BIGINT,
    rows_out BIGINT,
    rows_quarantined BIGINT,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    message TEXT,
    PRIMARY KEY (run_id, stage, source)
);

-- One row per landed batch; for files the content hash makes a re-sent file a no-op.
-- rows_read = rows_landed + rows_unparsed (quarantined) + rows_redelivered (already landed).
CREATE TABLE meta.batch (
    batch_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    entity TEXT NOT NULL,
    raw_table TEXT NOT NULL,
    source_file TEXT,
    content_sha256 TEXT,
    rows_read BIGINT NOT NULL,
    rows_landed BIGINT NOT NULL,
    rows_unparsed BIGINT NOT NULL,
    rows_redelivered BIGINT NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    standardized_at TIMESTAMPTZ,
    rows_standardized BIGINT,
    rows_quarantined BIGINT
);
CREATE UNIQUE INDEX batch_content ON meta.batch (source, entity, content_sha256);

-- Every column a source entity has sent, and the batch that first brought it.
CREATE TABLE meta.source_column (
    source TEXT NOT NULL,
    entity TEXT NOT NULL,
    column_name TEXT NOT NULL,
    first_batch_id TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, entity, column_name)
);

-- Rows a connector could not parse (ragged rows, broken quoting), with file and line.
CREATE TABLE quarantine.unparsed_row (
    source TEXT NOT NULL,
    entity TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    reason TEXT NOT NULL,
    raw_text TEXT,
    quarantined_at TIMESTAMPTZ NOT NULL
);

-- Where each SQL source entity's incremental extract has got to: the last cursor value
-- and key landed. Updated in the same transaction as the batch it covers.
CREATE TABLE meta.source_state (
    source TEXT NOT NULL,
    entity TEXT NOT NULL,
    cursor_value TEXT NOT NULL,
    key_value TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, entity)
);

-- Canonical records, one table per canonical entity (see c360/canonical.py), each row
-- naming the batch, file and line it came from. Failing rows go to quarantine.<entity>
-- instead: one row per failed expectation.
CREATE TABLE staging.party (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    extracted_at TIMESTAMPTZ NOT NULL,
    name TEXT NOT NULL,
    name_original TEXT NOT NULL,
    uscc TEXT,
    uscc_valid BOOLEAN NOT NULL,
    resident_id TEXT,
    resident_id_valid BOOLEAN NOT NULL,
    legal_representative TEXT,
    phone TEXT,
    email TEXT,
    address TEXT,
    industry_code TEXT,
    PRIMARY KEY (source_system, source_entity, source_id)
);

CREATE TABLE staging.facility (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    extracted_at TIMESTAMPTZ NOT NULL,
    party_id TEXT NOT NULL,
    product TEXT,
    amount DECIMAL(18, 2),
    currency TEXT,
    start_date DATE,
    maturity_date DATE,
    status TEXT NOT NULL,
    PRIMARY KEY (source_system, source_entity, source_id)
);

CREATE TABLE staging.account (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    extracted_at TIMESTAMPTZ NOT NULL,
    party_id TEXT NOT NULL,
    product TEXT,
    balance DECIMAL(18, 2),
    currency TEXT,
    opened_on DATE,
    closed_on DATE,
    status TEXT NOT NULL,
    PRIMARY KEY (source_system, source_entity, source_id)
);

CREATE TABLE staging.interaction (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    extracted_at TIMESTAMPTZ NOT NULL,
    party_id TEXT NOT NULL,
    interaction_date DATE NOT NULL,
    interaction_type TEXT,
    PRIMARY KEY (source_system, source_entity, source_id)
);

CREATE TABLE staging.rating (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    extracted_at TIMESTAMPTZ NOT NULL,
    party_name TEXT NOT NULL,
    uscc TEXT,
    rating TEXT NOT NULL,
    probability_of_default DOUBLE PRECISION,
    rating_date DATE,
    watchlist TEXT,
    PRIMARY KEY (source_system, source_entity, source_id)
);

CREATE TABLE quarantine.party (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_id TEXT,
    source_file TEXT,
    source_line BIGINT,
    expectation TEXT NOT NULL,
    column_name TEXT,
    failed_value TEXT,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    record TEXT NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE quarantine.facility (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_id TEXT,
    source_file TEXT,
    source_line BIGINT,
    expectation TEXT NOT NULL,
    column_name TEXT,
    failed_value TEXT,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    record TEXT NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE quarantine.account (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_id TEXT,
    source_file TEXT,
    source_line BIGINT,
    expectation TEXT NOT NULL,
    column_name TEXT,
    failed_value TEXT,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    record TEXT NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE quarantine.interaction (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_id TEXT,
    source_file TEXT,
    source_line BIGINT,
    expectation TEXT NOT NULL,
    column_name TEXT,
    failed_value TEXT,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    record TEXT NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE quarantine.rating (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_id TEXT,
    source_file TEXT,
    source_line BIGINT,
    expectation TEXT NOT NULL,
    column_name TEXT,
    failed_value TEXT,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    record TEXT NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);

-- Every customer_id ever issued; a retired id points to the id its records moved to, so old keys stay resolvable.
CREATE TABLE core.customer_id_registry (
    customer_id TEXT PRIMARY KEY,
    issued_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    merged_into TEXT,
    retired_at TIMESTAMPTZ
);

-- Golden records: one row per real customer.
CREATE TABLE core.customer (
    customer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    uscc TEXT,
    phone TEXT,
    address TEXT,
    industry_code TEXT,
    record_count INTEGER NOT NULL,
    source_systems TEXT NOT NULL,
    survivor_source_system TEXT NOT NULL,
    survivor_source_entity TEXT NOT NULL,
    survivor_source_id TEXT NOT NULL,
    resolved_at TIMESTAMPTZ NOT NULL
);

-- Which golden customer each source record belongs to, and why.
CREATE TABLE core.customer_xref (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    match_rule TEXT NOT NULL,
    match_weight DOUBLE PRECISION,
    resolved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_system, source_entity, source_id)
);

-- The customer view BI tools read: identity masked, segments with their reasons.
CREATE TABLE mart.customer_360 (
    customer_id TEXT PRIMARY KEY,
    customer_name TEXT NOT NULL,
    uscc TEXT,
    phone_masked TEXT,
    industry_code TEXT,
    source_systems TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    facilities_active INTEGER NOT NULL,
    accounts_active INTEGER NOT NULL,
    lifecycle TEXT NOT NULL,
    lifecycle_reason TEXT NOT NULL,
    last_activity_date DATE,
    segment_rules_version TEXT NOT NULL,
    as_of_date DATE NOT NULL,
    refreshed_at TIMESTAMPTZ NOT NULL
);
