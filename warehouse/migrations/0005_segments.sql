-- What segmentation needs beyond identity: the size measures and relationship manager
-- of a party, ratings given as a PD alone, and loan repayments for days past due.
ALTER TABLE staging.party ADD COLUMN employees BIGINT;
ALTER TABLE staging.party ADD COLUMN annual_revenue DECIMAL(18, 2);
ALTER TABLE staging.party ADD COLUMN total_assets DECIMAL(18, 2);
ALTER TABLE staging.party ADD COLUMN relationship_manager TEXT;

ALTER TABLE staging.rating ALTER COLUMN rating DROP NOT NULL;

CREATE TABLE staging.repayment (
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    extracted_at TIMESTAMPTZ NOT NULL,
    account_id TEXT NOT NULL,
    due_date DATE NOT NULL,
    paid_date DATE,
    amount_due DECIMAL(18, 2),
    amount_paid DECIMAL(18, 2),
    days_past_due BIGINT,
    PRIMARY KEY (source_system, source_entity, source_id)
);

CREATE TABLE quarantine.repayment (
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

-- Every segment rules version a run used, as the JSON it was read into: history rows cite
-- the version, and a broken rules file falls back to the newest version here.
CREATE TABLE meta.segment_rules (
    rules_version TEXT PRIMARY KEY,
    rules TEXT NOT NULL,
    first_used_at TIMESTAMPTZ NOT NULL
);

-- One row per golden customer, for BI: identity with PII masked, every segment with the
-- reason for it, and the profile measures (docs/marts.md describes every column).
DROP TABLE mart.customer_360;
CREATE TABLE mart.customer_360 (
    customer_id TEXT PRIMARY KEY,
    customer_name TEXT NOT NULL,
    uscc TEXT,
    phone_masked TEXT,
    source_systems TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    relationship_manager TEXT,
    risk_grade TEXT NOT NULL,
    risk_grade_reason TEXT NOT NULL,
    contribution_tier TEXT NOT NULL,
    contribution_tier_reason TEXT NOT NULL,
    industry_section TEXT NOT NULL,
    industry_reason TEXT NOT NULL,
    industry_code TEXT,
    industry_name_zh TEXT,
    industry_name_en TEXT,
    industry_note TEXT,
    needs_tier TEXT NOT NULL,
    needs_tier_reason TEXT NOT NULL,
    lifecycle TEXT NOT NULL,
    lifecycle_reason TEXT NOT NULL,
    customer_type TEXT NOT NULL,
    customer_size TEXT NOT NULL,
    customer_size_reason TEXT NOT NULL,
    relationship_model TEXT NOT NULL,
    relationship_model_reason TEXT NOT NULL,
    total_exposure DECIMAL(20, 2) NOT NULL,
    facilities_active INTEGER NOT NULL,
    facilities_total INTEGER NOT NULL,
    accounts_active INTEGER NOT NULL,
    products TEXT,
    product_count INTEGER NOT NULL,
    deposit_balance DECIMAL(20, 2) NOT NULL,
    loan_balance DECIMAL(20, 2) NOT NULL,
    revenue_12m DECIMAL(20, 2) NOT NULL,
    worst_days_past_due INTEGER,
    latest_rating TEXT,
    latest_rating_date DATE,
    probability_of_default DOUBLE PRECISION,
    last_interaction_date DATE,
    last_activity_date DATE,
    segment_rules_version TEXT NOT NULL,
    as_of_date DATE NOT NULL,
    refreshed_at TIMESTAMPTZ NOT NULL
);

-- Each customer's segment per dimension over time: a new row when the segment changes,
-- the old one closed (valid_to, exclusive). Never rewritten.
CREATE TABLE mart.customer_segment_history (
    customer_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    segment TEXT NOT NULL,
    reason TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX customer_segment_history_open ON mart.customer_segment_history (customer_id, dimension, valid_to);

-- From/to counts per dimension between one segment run and the next, for migration
-- matrices; a customer new in the run comes from '(new)', one gone goes to '(gone)'.
CREATE TABLE mart.segment_migration (
    from_as_of DATE NOT NULL,
    to_as_of DATE NOT NULL,
    from_rules_version TEXT NOT NULL,
    to_rules_version TEXT NOT NULL,
    dimension TEXT NOT NULL,
    from_segment TEXT NOT NULL,
    to_segment TEXT NOT NULL,
    customers BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

-- The service model the rules assign to each segment.
CREATE TABLE mart.segment_strategy (
    dimension TEXT NOT NULL,
    segment TEXT NOT NULL,
    service_team TEXT,
    review_frequency TEXT,
    pricing_spread_bps INTEGER,
    note TEXT,
    rules_version TEXT NOT NULL,
    PRIMARY KEY (dimension, segment)
);
