-- The golden record carries e-mail and legal representative too, and every golden
-- attribute names the source record it came from (field-level lineage).
ALTER TABLE core.customer ADD COLUMN email TEXT;
ALTER TABLE core.customer ADD COLUMN legal_representative TEXT;

CREATE TABLE core.customer_attribute_source (
    customer_id TEXT NOT NULL,
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    survivorship_rule TEXT NOT NULL,
    source_system TEXT NOT NULL,
    source_entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, attribute)
);
