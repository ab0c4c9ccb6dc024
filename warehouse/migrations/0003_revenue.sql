-- Interest and fee income per account and month, for the contribution tier.
CREATE TABLE staging.revenue (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    extracted_at TIMESTAMPTZ NOT NULL,
    account_id TEXT NOT NULL,
    period DATE NOT NULL,
    interest_income DECIMAL(18, 2),
    fee_income DECIMAL(18, 2),
    currency TEXT,
    PRIMARY KEY (source_system, source_entity, source_id)
);

CREATE TABLE quarantine.revenue (
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
