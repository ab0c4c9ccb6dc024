-- DuckDB only: the golden customers lose their primary key too, as the tables resolution
-- rewrites did (0009). Its index took 0.4-1.0 s to fill and 0.8 s more to commit for a
-- million golden customers, on every full run; resolution writes one golden record per
-- id by construction (one per cluster), and the id registry, where ids are issued, keeps
-- its key. Postgres keeps both.

CREATE TABLE core.customer_rebuilt (
    customer_id TEXT NOT NULL,
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
    resolved_at TIMESTAMPTZ NOT NULL,
    email TEXT,
    legal_representative TEXT
);
INSERT INTO core.customer_rebuilt
SELECT customer_id, name, uscc, phone, address, industry_code, record_count, source_systems, survivor_source_system,
    survivor_source_entity, survivor_source_id, resolved_at, email, legal_representative
FROM core.customer;
DROP TABLE core.customer;
ALTER TABLE core.customer_rebuilt RENAME TO customer;
