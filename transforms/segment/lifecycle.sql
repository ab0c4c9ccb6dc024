-- Every fact that tells whether a customer is in a relationship with the bank: facilities,
-- accounts and interactions, each tied to its golden customer through the party it names.
DROP TABLE IF EXISTS _customer_fact;
CREATE TEMPORARY TABLE _customer_fact AS
SELECT x.customer_id, 'facility' AS fact,
    CASE WHEN f.status = 'active' THEN 1 ELSE 0 END AS active,
    CASE WHEN f.status = 'active' THEN NULL ELSE COALESCE(f.maturity_date, f.start_date) END AS activity_date
FROM staging.facility AS f
JOIN core.customer_xref AS x ON x.source_system = f.source_system AND x.source_id = f.party_id
UNION ALL
SELECT x.customer_id, 'account',
    CASE WHEN a.status = 'active' THEN 1 ELSE 0 END,
    CASE WHEN a.status = 'active' THEN NULL ELSE COALESCE(a.closed_on, a.opened_on) END
FROM staging.account AS a
JOIN core.customer_xref AS x ON x.source_system = a.source_system AND x.source_id = a.party_id
UNION ALL
SELECT x.customer_id, 'interaction', 0, i.interaction_date
FROM staging.interaction AS i
JOIN core.customer_xref AS x ON x.source_system = i.source_system AND x.source_id = i.party_id;

-- Rebuild mart.customer_360 with each golden customer's lifecycle and the reason for it.
DELETE FROM mart.customer_360;
INSERT INTO mart.customer_360 (
    customer_id, customer_name, uscc, phone_masked, industry_code, source_systems, record_count,
    facilities_active, accounts_active, lifecycle, lifecycle_reason, last_activity_date,
    segment_rules_version, as_of_date, refreshed_at
)
SELECT
    c.customer_id,
    c.name,
    c.uscc,
    CASE
        WHEN c.phone IS NULL THEN NULL
        WHEN LENGTH(c.phone) > 7 THEN SUBSTR(c.phone, 1, 3) || REPEAT('*', LENGTH(c.phone) - 7) || SUBSTR(c.phone, LENGTH(c.phone) - 3)
        ELSE REPEAT('*', LENGTH(c.phone))
    END,
    c.industry_code,
    c.source_systems,
    c.record_count,
    COALESCE(f.facilities_active, 0),
    COALESCE(f.accounts_active, 0),
    CASE
        WHEN COALESCE(f.relationships, 0) = 0 THEN 'prospect'
        WHEN f.facilities_active + f.accounts_active > 0 OR f.last_activity_date >= :churn_cutoff THEN 'existing'
        ELSE 'churned'
    END,
    CASE
        WHEN COALESCE(f.relationships, 0) = 0 THEN
            'prospect: no facility or account in any system; known from ' || c.source_systems
        WHEN f.facilities_active + f.accounts_active > 0 THEN
            'existing: ' || CAST(f.facilities_active AS VARCHAR) || ' active facility(ies) and '
            || CAST(f.accounts_active AS VARCHAR) || ' active account(s)'
        WHEN f.last_activity_date >= :churn_cutoff THEN
            'existing: nothing active, but last activity ' || CAST(f.last_activity_date AS VARCHAR)
            || ' is within ' || :churn_after_days || ' days of ' || :as_of_text
        ELSE
            'churned: all ' || CAST(f.relationships AS VARCHAR) || ' facility(ies) and account(s) closed; last activity '
            || COALESCE(CAST(f.last_activity_date AS VARCHAR), 'unknown')
            || ' is more than ' || :churn_after_days || ' days before ' || :as_of_text
    END,
    f.last_activity_date,
    :rules_version,
    :as_of,
    :refreshed_at
FROM core.customer AS c
LEFT JOIN (
    SELECT
        customer_id,
        SUM(CASE WHEN fact IN ('facility', 'account') THEN 1 ELSE 0 END) AS relationships,
        SUM(CASE WHEN fact = 'facility' THEN active ELSE 0 END) AS facilities_active,
        SUM(CASE WHEN fact = 'account' THEN active ELSE 0 END) AS accounts_active,
        MAX(CASE WHEN activity_date <= :as_of THEN activity_date END) AS last_activity_date
    FROM _customer_fact
    GROUP BY customer_id
) AS f ON f.customer_id = c.customer_id;

DROP TABLE _customer_fact;
