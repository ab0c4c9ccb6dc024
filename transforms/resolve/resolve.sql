-- Each record's cluster, as matching (match.py) assigned it, with the id it had before.
DROP TABLE IF EXISTS _resolve_record;
CREATE TEMPORARY TABLE _resolve_record AS
SELECT
    a.source_system,
    a.source_entity,
    a.source_id,
    a.cluster_key,
    a.match_rule,
    a.match_weight,
    x.customer_id AS previous_customer_id
FROM _resolve_assignment AS a
LEFT JOIN core.customer_xref AS x
    ON x.source_system = a.source_system AND x.source_entity = a.source_entity AND x.source_id = a.source_id;

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
SELECT r.source_system, r.source_entity, r.source_id, c.customer_id, r.match_rule, r.match_weight
FROM _resolve_record AS r
JOIN _resolve_cluster AS c ON c.cluster_key = r.cluster_key;

DELETE FROM core.customer_xref
WHERE NOT EXISTS (
    SELECT 1 FROM _resolve_xref AS n
    WHERE n.source_system = core.customer_xref.source_system AND n.source_entity = core.customer_xref.source_entity
        AND n.source_id = core.customer_xref.source_id AND n.customer_id = core.customer_xref.customer_id
        AND n.match_rule = core.customer_xref.match_rule
        AND n.match_weight IS NOT DISTINCT FROM core.customer_xref.match_weight
);
INSERT INTO core.customer_xref (source_system, source_entity, source_id, customer_id, match_rule, match_weight, resolved_at)
SELECT n.source_system, n.source_entity, n.source_id, n.customer_id, n.match_rule, n.match_weight, :resolved_at
FROM _resolve_xref AS n
WHERE NOT EXISTS (
    SELECT 1 FROM core.customer_xref AS x
    WHERE x.source_system = n.source_system AND x.source_entity = n.source_entity AND x.source_id = n.source_id
);

-- Field-level survivorship: for each customer and attribute, the record holding a value that
-- the attribute's rule (_resolve_rule) ranks first; source priority, then recency, break ties.
CREATE TEMPORARY TABLE _resolve_attribute AS
SELECT customer_id, attribute, value, rule AS survivorship_rule, source_system, source_entity, source_id, extracted_at
FROM (
    SELECT
        x.customer_id, v.attribute, v.value, r.rule, v.source_system, v.source_entity, v.source_id, v.extracted_at,
        ROW_NUMBER() OVER (
            PARTITION BY x.customer_id, v.attribute
            ORDER BY
                CASE WHEN r.rule = 'completeness' THEN LENGTH(v.value) END DESC,
                CASE WHEN r.rule = 'recency' THEN v.extracted_at END DESC,
                COALESCE(sp.priority, 1000000), v.extracted_at DESC, v.source_system, v.source_entity, v.source_id
        ) AS survivor_rank
    FROM (
    SELECT 'name', p.name, p.source_system, p.source_entity, p.source_id, p.extracted_at FROM staging.party AS p
    UNION ALL
    SELECT 'uscc', CASE WHEN p.uscc_valid THEN p.uscc END, p.source_system, p.source_entity, p.source_id, p.extracted_at FROM staging.party AS p
    UNION ALL
    SELECT 'phone', p.phone, p.source_system, p.source_entity, p.source_id, p.extracted_at FROM staging.party AS p
    UNION ALL
    SELECT 'email', p.email, p.source_system, p.source_entity, p.source_id, p.extracted_at FROM staging.party AS p
    UNION ALL
    SELECT 'address', p.address, p.source_system, p.source_entity, p.source_id, p.extracted_at FROM staging.party AS p
    UNION ALL
    SELECT 'legal_representative', p.legal_representative, p.source_system, p.source_entity, p.source_id, p.extracted_at FROM staging.party AS p
    UNION ALL
    SELECT 'industry_code', p.industry_code, p.source_system, p.source_entity, p.source_id, p.extracted_at FROM staging.party AS p
    ) AS v (attribute, value, source_system, source_entity, source_id, extracted_at)
    JOIN core.customer_xref AS x
        ON x.source_system = v.source_system AND x.source_entity = v.source_entity AND x.source_id = v.source_id
    JOIN _resolve_rule AS r ON r.attribute = v.attribute
    LEFT JOIN _resolve_priority AS sp ON sp.source_system = v.source_system
    WHERE v.value IS NOT NULL
) AS ranked
WHERE survivor_rank = 1;

DELETE FROM core.customer_attribute_source
WHERE NOT EXISTS (
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

-- The golden record: each attribute's survivor; the record the name came from is named.
-- Attributes and members are aggregated apart, then joined one to one: at a million
-- customers, one aggregation of both (a distinct, ordered list per group) outgrew the
-- memory cap, where these spill.
CREATE TEMPORARY TABLE _resolve_customer AS
WITH golden AS (
    SELECT
        customer_id,
        MAX(CASE WHEN attribute = 'name' THEN value END) AS name,
        MAX(CASE WHEN attribute = 'uscc' THEN value END) AS uscc,
        MAX(CASE WHEN attribute = 'phone' THEN value END) AS phone,
        MAX(CASE WHEN attribute = 'email' THEN value END) AS email,
        MAX(CASE WHEN attribute = 'address' THEN value END) AS address,
        MAX(CASE WHEN attribute = 'legal_representative' THEN value END) AS legal_representative,
        MAX(CASE WHEN attribute = 'industry_code' THEN value END) AS industry_code,
        MAX(CASE WHEN attribute = 'name' THEN source_system END) AS survivor_source_system,
        MAX(CASE WHEN attribute = 'name' THEN source_entity END) AS survivor_source_entity,
        MAX(CASE WHEN attribute = 'name' THEN source_id END) AS survivor_source_id
    FROM core.customer_attribute_source
    GROUP BY customer_id
),
systems AS (
    SELECT customer_id, source_system, COUNT(*) AS records
    FROM core.customer_xref
    GROUP BY customer_id, source_system
),
members AS (
    SELECT customer_id, CAST(SUM(records) AS INTEGER) AS record_count,
        STRING_AGG(source_system, ',' ORDER BY source_system) AS source_systems
    FROM systems
    GROUP BY customer_id
)
SELECT
    golden.customer_id, golden.name, golden.uscc, golden.phone, golden.email, golden.address,
    golden.legal_representative, golden.industry_code, members.record_count, members.source_systems,
    golden.survivor_source_system, golden.survivor_source_entity, golden.survivor_source_id
FROM golden
JOIN members ON members.customer_id = golden.customer_id;

DELETE FROM core.customer
WHERE NOT EXISTS (
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
DROP TABLE _resolve_attribute;
DROP TABLE _resolve_xref;
DROP TABLE _resolve_record;
DROP TABLE _resolve_overlap;
DROP TABLE _resolve_cluster;
