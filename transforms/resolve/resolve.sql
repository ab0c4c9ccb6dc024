-- Each attribute's survivorship rule, one column per attribute.
CREATE TEMPORARY TABLE _resolve_rules AS
SELECT
    MAX(CASE WHEN attribute = 'name' THEN rule END) AS name,
    MAX(CASE WHEN attribute = 'uscc' THEN rule END) AS uscc,
    MAX(CASE WHEN attribute = 'phone' THEN rule END) AS phone,
    MAX(CASE WHEN attribute = 'email' THEN rule END) AS email,
    MAX(CASE WHEN attribute = 'address' THEN rule END) AS address,
    MAX(CASE WHEN attribute = 'legal_representative' THEN rule END) AS legal_representative,
    MAX(CASE WHEN attribute = 'industry_code' THEN rule END) AS industry_code
FROM _resolve_rule;

-- Each record's cluster, as matching (match.py) assigned it, with the id it had before and
-- a digest of what survivorship reads of it: its values, when it was extracted, its
-- source's priority and the attributes' rules. A customer none of whose records changed
-- their digest or their customer keeps its golden record as it is.
DROP TABLE IF EXISTS _resolve_record;
CREATE TEMPORARY TABLE _resolve_record AS
SELECT
    a.source_system,
    a.source_entity,
    a.source_id,
    a.cluster_key,
    a.match_rule,
    a.match_weight,
    x.customer_id AS previous_customer_id,
    x.survivorship_digest AS previous_survivorship_digest,
    md5(
        CAST(EXTRACT(EPOCH FROM p.extracted_at) AS VARCHAR) || chr(31) || CAST(COALESCE(sp.priority, 1000000) AS VARCHAR)
        || chr(31) || COALESCE(p.name, chr(30))
        || chr(31) || COALESCE(CASE WHEN p.uscc_valid THEN p.uscc END, chr(30))
        || chr(31) || COALESCE(p.phone, chr(30))
        || chr(31) || COALESCE(p.email, chr(30))
        || chr(31) || COALESCE(p.address, chr(30))
        || chr(31) || COALESCE(p.legal_representative, chr(30))
        || chr(31) || COALESCE(p.industry_code, chr(30))
        || chr(31) || r.name || r.uscc || r.phone || r.email || r.address || r.legal_representative || r.industry_code
    ) AS survivorship_digest
FROM _resolve_assignment AS a
JOIN staging.party AS p
    ON p.source_system = a.source_system AND p.source_entity = a.source_entity AND p.source_id = a.source_id
LEFT JOIN _resolve_priority AS sp ON sp.source_system = a.source_system
CROSS JOIN _resolve_rules AS r
LEFT JOIN core.customer_xref AS x
    ON x.source_system = a.source_system AND x.source_entity = a.source_entity AND x.source_id = a.source_id;

-- Every temporary table of a row per record or customer is dropped once the last
-- statement reading it ran: held to the end, at a million customers they filled DuckDB's
-- memory cap, and the survivorship statements spilled to disk.
DROP TABLE _resolve_assignment;

-- How many of each cluster's records each previous customer_id held, and the best source
-- priority among them: on equal overlap, the id carried by the higher-priority source wins.
DROP TABLE IF EXISTS _resolve_overlap;
CREATE TEMPORARY TABLE _resolve_overlap AS
SELECT r.cluster_key, r.previous_customer_id AS customer_id, COUNT(*) AS shared,
    MIN(COALESCE(sp.priority, 1000000)) AS best_priority
FROM _resolve_record AS r
LEFT JOIN _resolve_priority AS sp ON sp.source_system = r.source_system
WHERE r.previous_customer_id IS NOT NULL
GROUP BY r.cluster_key, r.previous_customer_id;

-- A previous id goes to the cluster holding most of its records; a cluster keeps the id it shares most with.
DROP TABLE IF EXISTS _resolve_cluster;
CREATE TEMPORARY TABLE _resolve_cluster AS
SELECT cluster_key, customer_id, FALSE AS is_new
FROM (
    SELECT cluster_key, customer_id,
        ROW_NUMBER() OVER (PARTITION BY cluster_key ORDER BY shared DESC, best_priority, customer_id) AS pick
    FROM (
        SELECT cluster_key, customer_id, shared, best_priority,
            ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY shared DESC, best_priority, cluster_key) AS claim
        FROM _resolve_overlap
    ) AS claimed
    WHERE claim = 1
) AS picked
WHERE pick = 1;

-- New clusters get the next ids, numbered in cluster-key order.
INSERT INTO _resolve_cluster (cluster_key, customer_id, is_new)
SELECT
    cluster_key,
    'C' || LPAD(CAST((SELECT COUNT(*) FROM core.customer_id_registry) + ROW_NUMBER() OVER (ORDER BY cluster_key) AS VARCHAR), 9, '0'),
    TRUE
FROM (
    SELECT DISTINCT cluster_key FROM _resolve_record
    WHERE cluster_key NOT IN (SELECT cluster_key FROM _resolve_cluster)
) AS fresh;

INSERT INTO core.customer_id_registry (customer_id, issued_at, status)
SELECT customer_id, :resolved_at, 'active' FROM _resolve_cluster WHERE is_new;

-- Previous ids no cluster kept are retired, pointing to the id most of their records moved to.
UPDATE core.customer_id_registry
SET status = 'merged', merged_into = moved.new_customer_id, retired_at = :resolved_at
FROM (
    SELECT previous_customer_id, new_customer_id
    FROM (
        SELECT r.previous_customer_id, c.customer_id AS new_customer_id,
            ROW_NUMBER() OVER (PARTITION BY r.previous_customer_id ORDER BY COUNT(*) DESC, c.customer_id) AS pick
        FROM _resolve_record AS r
        JOIN _resolve_cluster AS c ON c.cluster_key = r.cluster_key
        WHERE r.previous_customer_id IS NOT NULL
        GROUP BY r.previous_customer_id, c.customer_id
    ) AS ranked
    WHERE pick = 1
) AS moved
WHERE core.customer_id_registry.customer_id = moved.previous_customer_id
    AND core.customer_id_registry.status = 'active'
    AND moved.previous_customer_id NOT IN (SELECT customer_id FROM _resolve_cluster);

-- Each of the three tables below is rebuilt into a temporary table, then only rows that
-- changed are replaced, so a run after a few changes writes a few rows and resolved_at
-- says when a row took its current value.
CREATE TEMPORARY TABLE _resolve_xref AS
SELECT r.source_system, r.source_entity, r.source_id, c.customer_id, r.match_rule, r.match_weight,
    r.survivorship_digest, r.previous_customer_id, r.previous_survivorship_digest
FROM _resolve_record AS r
JOIN _resolve_cluster AS c ON c.cluster_key = r.cluster_key;
DROP TABLE _resolve_record;
DROP TABLE _resolve_overlap;
DROP TABLE _resolve_cluster;

-- The customers whose golden records are rebuilt: every one when :everything (a full
-- run), else those that gained, lost or hold a record whose digest changed.
CREATE TEMPORARY TABLE _resolve_affected AS
SELECT customer_id FROM _resolve_xref
WHERE :everything OR previous_customer_id IS DISTINCT FROM customer_id
    OR previous_survivorship_digest IS DISTINCT FROM survivorship_digest
UNION
SELECT previous_customer_id FROM _resolve_xref WHERE previous_customer_id <> customer_id
UNION
SELECT x.customer_id FROM core.customer_xref AS x
WHERE NOT EXISTS (
    SELECT 1 FROM _resolve_xref AS n
    WHERE n.source_system = x.source_system AND n.source_entity = x.source_entity AND n.source_id = x.source_id
);

DELETE FROM core.customer_xref
WHERE NOT EXISTS (
    SELECT 1 FROM _resolve_xref AS n
    WHERE n.source_system = core.customer_xref.source_system AND n.source_entity = core.customer_xref.source_entity
        AND n.source_id = core.customer_xref.source_id AND n.customer_id = core.customer_xref.customer_id
        AND n.match_rule = core.customer_xref.match_rule
        AND n.match_weight IS NOT DISTINCT FROM core.customer_xref.match_weight
        AND n.survivorship_digest = core.customer_xref.survivorship_digest
);
INSERT INTO core.customer_xref (
    source_system, source_entity, source_id, customer_id, match_rule, match_weight, survivorship_digest, resolved_at
)
SELECT n.source_system, n.source_entity, n.source_id, n.customer_id, n.match_rule, n.match_weight,
    n.survivorship_digest, :resolved_at
FROM _resolve_xref AS n
WHERE NOT EXISTS (
    SELECT 1 FROM core.customer_xref AS x
    WHERE x.source_system = n.source_system AND x.source_entity = n.source_entity AND x.source_id = n.source_id
);
DROP TABLE _resolve_xref;

-- Field-level survivorship: for each customer and attribute, the record holding a value that
-- the attribute's rule (_resolve_rule) ranks first; source priority, then recency, break ties.
-- Each record is ranked once within its customer, both ways the rules read (by_priority:
-- source priority, then the newest; by_recency: the newest, then source priority; the
-- record's key last), and each attribute's survivor is the smallest standing: the rank its
-- rule reads or, for completeness, the longest value first, then by_priority. Ranking each
-- attribute's values apart (seven rows a record) took 6.2 s at a million customers, these 5.4.

-- The records of the customers rebuilt. Taken apart first: Postgres, which underestimates
-- a join on the three key columns as a row or two, otherwise checked each staged record
-- against every rebuilt customer (30 s at a hundred thousand customers).
CREATE TEMPORARY TABLE _resolve_member AS
SELECT x.customer_id, x.source_system, x.source_entity, x.source_id
FROM core.customer_xref AS x
WHERE x.customer_id IN (SELECT customer_id FROM _resolve_affected);

CREATE TEMPORARY TABLE _resolve_standing AS
SELECT
    m.customer_id, m.source_system, m.source_entity, m.source_id, m.extracted_at,
    m.name, m.uscc, m.phone, m.email, m.address, m.legal_representative, m.industry_code,
    CASE WHEN m.name IS NOT NULL THEN CASE r.name WHEN 'recency' THEN m.by_recency
        WHEN 'completeness' THEN m.by_priority - 4294967296 * LENGTH(m.name) ELSE m.by_priority END END AS name_standing,
    CASE WHEN m.uscc IS NOT NULL THEN CASE r.uscc WHEN 'recency' THEN m.by_recency
        WHEN 'completeness' THEN m.by_priority - 4294967296 * LENGTH(m.uscc) ELSE m.by_priority END END AS uscc_standing,
    CASE WHEN m.phone IS NOT NULL THEN CASE r.phone WHEN 'recency' THEN m.by_recency
        WHEN 'completeness' THEN m.by_priority - 4294967296 * LENGTH(m.phone) ELSE m.by_priority END END AS phone_standing,
    CASE WHEN m.email IS NOT NULL THEN CASE r.email WHEN 'recency' THEN m.by_recency
        WHEN 'completeness' THEN m.by_priority - 4294967296 * LENGTH(m.email) ELSE m.by_priority END END AS email_standing,
    CASE WHEN m.address IS NOT NULL THEN CASE r.address WHEN 'recency' THEN m.by_recency
        WHEN 'completeness' THEN m.by_priority - 4294967296 * LENGTH(m.address) ELSE m.by_priority END END AS address_standing,
    CASE WHEN m.legal_representative IS NOT NULL THEN CASE r.legal_representative WHEN 'recency' THEN m.by_recency
        WHEN 'completeness' THEN m.by_priority - 4294967296 * LENGTH(m.legal_representative) ELSE m.by_priority END END AS legal_representative_standing,
    CASE WHEN m.industry_code IS NOT NULL THEN CASE r.industry_code WHEN 'recency' THEN m.by_recency
        WHEN 'completeness' THEN m.by_priority - 4294967296 * LENGTH(m.industry_code) ELSE m.by_priority END END AS industry_code_standing
FROM (
    SELECT
        x.customer_id, p.source_system, p.source_entity, p.source_id, p.extracted_at,
        p.name, CASE WHEN p.uscc_valid THEN p.uscc END AS uscc, p.phone, p.email, p.address, p.legal_representative,
        p.industry_code,
        ROW_NUMBER() OVER (
            PARTITION BY x.customer_id
            ORDER BY COALESCE(sp.priority, 1000000), p.extracted_at DESC, p.source_system, p.source_entity, p.source_id
        ) AS by_priority,
        ROW_NUMBER() OVER (
            PARTITION BY x.customer_id
            ORDER BY p.extracted_at DESC, COALESCE(sp.priority, 1000000), p.source_system, p.source_entity, p.source_id
        ) AS by_recency
    FROM _resolve_member AS x
    JOIN staging.party AS p
        ON p.source_system = x.source_system AND p.source_entity = x.source_entity AND p.source_id = x.source_id
    LEFT JOIN _resolve_priority AS sp ON sp.source_system = p.source_system
) AS m
CROSS JOIN _resolve_rules AS r;
DROP TABLE _resolve_member;

CREATE TEMPORARY TABLE _resolve_survivor AS
SELECT
    customer_id,
    MIN(name_standing) AS name,
    MIN(uscc_standing) AS uscc,
    MIN(phone_standing) AS phone,
    MIN(email_standing) AS email,
    MIN(address_standing) AS address,
    MIN(legal_representative_standing) AS legal_representative,
    MIN(industry_code_standing) AS industry_code
FROM _resolve_standing
GROUP BY customer_id;

-- Each ranked record beside its customer's survivors, in one join: an attribute's value is
-- kept only on the record it survives from. Attributes and golden records are read from
-- here without joining again: joining the survivors once per attribute took 2.1 s at a
-- million customers, and once more for the golden records 3.3-4.2.
CREATE TEMPORARY TABLE _resolve_survived AS
SELECT
    m.customer_id, m.source_system, m.source_entity, m.source_id, m.extracted_at,
    CASE WHEN m.name_standing = s.name THEN m.name END AS name,
    CASE WHEN m.uscc_standing = s.uscc THEN m.uscc END AS uscc,
    CASE WHEN m.phone_standing = s.phone THEN m.phone END AS phone,
    CASE WHEN m.email_standing = s.email THEN m.email END AS email,
    CASE WHEN m.address_standing = s.address THEN m.address END AS address,
    CASE WHEN m.legal_representative_standing = s.legal_representative THEN m.legal_representative END AS legal_representative,
    CASE WHEN m.industry_code_standing = s.industry_code THEN m.industry_code END AS industry_code
FROM _resolve_standing AS m
JOIN _resolve_survivor AS s ON s.customer_id = m.customer_id;
DROP TABLE _resolve_survivor;
DROP TABLE _resolve_standing;

-- A view, not a table: five million rows at a million customers took 2.3 s to write down
-- before being read once by each statement below.
CREATE TEMPORARY VIEW _resolve_attribute AS
SELECT m.customer_id, 'name' AS attribute, m.name AS value, r.name AS survivorship_rule, m.source_system, m.source_entity, m.source_id, m.extracted_at
FROM _resolve_survived AS m CROSS JOIN _resolve_rules AS r WHERE m.name IS NOT NULL
UNION ALL
SELECT m.customer_id, 'uscc', m.uscc, r.uscc, m.source_system, m.source_entity, m.source_id, m.extracted_at
FROM _resolve_survived AS m CROSS JOIN _resolve_rules AS r WHERE m.uscc IS NOT NULL
UNION ALL
SELECT m.customer_id, 'phone', m.phone, r.phone, m.source_system, m.source_entity, m.source_id, m.extracted_at
FROM _resolve_survived AS m CROSS JOIN _resolve_rules AS r WHERE m.phone IS NOT NULL
UNION ALL
SELECT m.customer_id, 'email', m.email, r.email, m.source_system, m.source_entity, m.source_id, m.extracted_at
FROM _resolve_survived AS m CROSS JOIN _resolve_rules AS r WHERE m.email IS NOT NULL
UNION ALL
SELECT m.customer_id, 'address', m.address, r.address, m.source_system, m.source_entity, m.source_id, m.extracted_at
FROM _resolve_survived AS m CROSS JOIN _resolve_rules AS r WHERE m.address IS NOT NULL
UNION ALL
SELECT m.customer_id, 'legal_representative', m.legal_representative, r.legal_representative, m.source_system, m.source_entity, m.source_id, m.extracted_at
FROM _resolve_survived AS m CROSS JOIN _resolve_rules AS r WHERE m.legal_representative IS NOT NULL
UNION ALL
SELECT m.customer_id, 'industry_code', m.industry_code, r.industry_code, m.source_system, m.source_entity, m.source_id, m.extracted_at
FROM _resolve_survived AS m CROSS JOIN _resolve_rules AS r WHERE m.industry_code IS NOT NULL;

DELETE FROM core.customer_attribute_source
WHERE customer_id IN (SELECT customer_id FROM _resolve_affected) AND NOT EXISTS (
    SELECT 1 FROM _resolve_attribute AS n
    WHERE n.customer_id = core.customer_attribute_source.customer_id
        AND n.attribute = core.customer_attribute_source.attribute
        AND n.value = core.customer_attribute_source.value
        AND n.survivorship_rule = core.customer_attribute_source.survivorship_rule
        AND n.source_system = core.customer_attribute_source.source_system
        AND n.source_entity = core.customer_attribute_source.source_entity
        AND n.source_id = core.customer_attribute_source.source_id
        AND n.extracted_at = core.customer_attribute_source.extracted_at
);
INSERT INTO core.customer_attribute_source (
    customer_id, attribute, value, survivorship_rule, source_system, source_entity, source_id, extracted_at, resolved_at
)
SELECT n.customer_id, n.attribute, n.value, n.survivorship_rule, n.source_system, n.source_entity, n.source_id,
    n.extracted_at, :resolved_at
FROM _resolve_attribute AS n
WHERE NOT EXISTS (
    SELECT 1 FROM core.customer_attribute_source AS a WHERE a.customer_id = n.customer_id AND a.attribute = n.attribute
);
DROP VIEW _resolve_attribute;

-- The golden record: each attribute's survivor; the record the name came from is named.
-- Taken from the survived records, one row each, rather than from the attributes' rows:
-- pivoting those (five million at a million customers) took 6.3-6.9 s, this 3.3-3.9. The
-- source systems are listed apart: one aggregation of both (a distinct, ordered list per
-- group) outgrew the memory cap, where these spill.
CREATE TEMPORARY TABLE _resolve_customer AS
WITH golden AS (
    SELECT
        customer_id,
        MAX(name) AS name,
        MAX(uscc) AS uscc,
        MAX(phone) AS phone,
        MAX(email) AS email,
        MAX(address) AS address,
        MAX(legal_representative) AS legal_representative,
        MAX(industry_code) AS industry_code,
        MAX(CASE WHEN name IS NOT NULL THEN source_system END) AS survivor_source_system,
        MAX(CASE WHEN name IS NOT NULL THEN source_entity END) AS survivor_source_entity,
        MAX(CASE WHEN name IS NOT NULL THEN source_id END) AS survivor_source_id,
        CAST(COUNT(*) AS INTEGER) AS record_count
    FROM _resolve_survived
    GROUP BY customer_id
),
systems AS (
    SELECT customer_id, STRING_AGG(source_system, ',' ORDER BY source_system) AS source_systems
    FROM (SELECT DISTINCT customer_id, source_system FROM _resolve_survived) AS held
    GROUP BY customer_id
)
SELECT
    golden.customer_id, golden.name, golden.uscc, golden.phone, golden.email, golden.address,
    golden.legal_representative, golden.industry_code, golden.record_count, systems.source_systems,
    golden.survivor_source_system, golden.survivor_source_entity, golden.survivor_source_id
FROM golden
JOIN systems ON systems.customer_id = golden.customer_id;
DROP TABLE _resolve_survived;

DELETE FROM core.customer
WHERE customer_id IN (SELECT customer_id FROM _resolve_affected) AND NOT EXISTS (
    SELECT 1 FROM _resolve_customer AS n
    WHERE n.customer_id = core.customer.customer_id
        AND n.name IS NOT DISTINCT FROM core.customer.name AND n.uscc IS NOT DISTINCT FROM core.customer.uscc
        AND n.phone IS NOT DISTINCT FROM core.customer.phone AND n.email IS NOT DISTINCT FROM core.customer.email
        AND n.address IS NOT DISTINCT FROM core.customer.address
        AND n.legal_representative IS NOT DISTINCT FROM core.customer.legal_representative
        AND n.industry_code IS NOT DISTINCT FROM core.customer.industry_code
        AND n.record_count = core.customer.record_count AND n.source_systems = core.customer.source_systems
        AND n.survivor_source_system IS NOT DISTINCT FROM core.customer.survivor_source_system
        AND n.survivor_source_entity IS NOT DISTINCT FROM core.customer.survivor_source_entity
        AND n.survivor_source_id IS NOT DISTINCT FROM core.customer.survivor_source_id
);
INSERT INTO core.customer (
    customer_id, name, uscc, phone, email, address, legal_representative, industry_code, record_count,
    source_systems, survivor_source_system, survivor_source_entity, survivor_source_id, resolved_at
)
SELECT n.customer_id, n.name, n.uscc, n.phone, n.email, n.address, n.legal_representative, n.industry_code,
    n.record_count, n.source_systems, n.survivor_source_system, n.survivor_source_entity, n.survivor_source_id,
    :resolved_at
FROM _resolve_customer AS n
WHERE NOT EXISTS (SELECT 1 FROM core.customer AS c WHERE c.customer_id = n.customer_id);

DROP TABLE _resolve_customer;
DROP TABLE _resolve_affected;
DROP TABLE _resolve_rules;
