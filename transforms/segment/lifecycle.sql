-- Rebuild mart.customer_360 with each golden customer's lifecycle and the reason for it.
DELETE FROM mart.customer_360;
INSERT INTO mart.customer_360 (
    customer_id, customer_name, uscc, phone_masked, industry_code, source_systems, record_count,
    lifecycle, lifecycle_reason, last_activity_date, segment_rules_version, as_of_date, refreshed_at
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
    CASE
        WHEN f.customer_records = 0 THEN 'prospect'
        WHEN f.active_records > 0 OR f.last_activity_date >= :churn_cutoff THEN 'existing'
        ELSE 'churned'
    END,
    CASE
        WHEN f.customer_records = 0 THEN
            'prospect: known only as a lead in ' || c.source_systems || ', never as a customer'
        WHEN f.active_records > 0 THEN
            'existing: ' || CAST(f.active_records AS VARCHAR) || ' active customer record(s)'
        WHEN f.last_activity_date >= :churn_cutoff THEN
            'existing: nothing active, but last activity ' || CAST(f.last_activity_date AS VARCHAR)
            || ' is within ' || :churn_after_days || ' days of ' || :as_of_text
        ELSE
            'churned: all ' || CAST(f.customer_records AS VARCHAR) || ' customer record(s) closed and last activity '
            || COALESCE(CAST(f.last_activity_date AS VARCHAR), 'unknown')
            || ' is more than ' || :churn_after_days || ' days before ' || :as_of_text
    END,
    f.last_activity_date,
    :rules_version,
    :as_of,
    :refreshed_at
FROM core.customer AS c
JOIN (
    SELECT
        x.customer_id,
        SUM(CASE WHEN p.relationship = 'customer' THEN 1 ELSE 0 END) AS customer_records,
        SUM(CASE WHEN p.relationship = 'customer' AND p.relationship_status = 'active' THEN 1 ELSE 0 END) AS active_records,
        MAX(p.last_activity_date) AS last_activity_date
    FROM core.customer_xref AS x
    JOIN staging.party AS p
        ON p.source_system = x.source_system AND p.source_entity = x.source_entity AND p.source_id = x.source_id
    GROUP BY x.customer_id
) AS f ON f.customer_id = c.customer_id;
