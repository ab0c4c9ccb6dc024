-- Party records carry the parts matching compares: the name split into trade name,
-- legal form, branch flag, place and romanized form; the address split into
-- province, city, district and the rest; the industry's GB/T 4754 section.
ALTER TABLE staging.party ADD COLUMN name_core TEXT;
ALTER TABLE staging.party ADD COLUMN name_romanized TEXT;
ALTER TABLE staging.party ADD COLUMN legal_form TEXT;
ALTER TABLE staging.party ADD COLUMN is_branch BOOLEAN;
ALTER TABLE staging.party ADD COLUMN name_place TEXT;
ALTER TABLE staging.party ADD COLUMN province TEXT;
ALTER TABLE staging.party ADD COLUMN city TEXT;
ALTER TABLE staging.party ADD COLUMN district TEXT;
ALTER TABLE staging.party ADD COLUMN address_detail TEXT;
ALTER TABLE staging.party ADD COLUMN industry_section TEXT;

-- What each expectation found in each batch: rows evaluated, passed and failed, and how
-- many of the failures it sent to quarantine (critical) rather than only reported (warning).
CREATE TABLE meta.validation_summary (
    batch_id TEXT NOT NULL,
    source TEXT NOT NULL,
    entity TEXT NOT NULL,
    suite TEXT NOT NULL,
    expectation TEXT NOT NULL,
    column_name TEXT,
    severity TEXT NOT NULL,
    rows_evaluated BIGINT NOT NULL,
    rows_passed BIGINT NOT NULL,
    rows_failed BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    validated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX validation_summary_batch ON meta.validation_summary (batch_id);
