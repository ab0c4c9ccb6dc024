-- Publish the segments (segments.sql) to mart, in the run's transaction.

-- History: close each open row whose customer no longer has that segment (or is gone),
-- then open a row for every segment that has no open row. Closed rows are never touched.
UPDATE mart.customer_segment_history
SET valid_to = :as_of
WHERE valid_to IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM _seg_value AS v
        WHERE v.customer_id = mart.customer_segment_history.customer_id
            AND v.dimension = mart.customer_segment_history.dimension
            AND v.segment = mart.customer_segment_history.segment
    );

INSERT INTO mart.customer_segment_history (
    customer_id, dimension, segment, reason, rules_version, valid_from, valid_to, recorded_at
)
SELECT v.customer_id, v.dimension, v.segment, v.reason, :rules_version, :as_of, NULL, :refreshed_at
FROM _seg_value AS v
WHERE NOT EXISTS (
    SELECT 1 FROM mart.customer_segment_history AS h
    WHERE h.valid_to IS NULL AND h.customer_id = v.customer_id AND h.dimension = v.dimension
);

DELETE FROM mart.customer_360;
INSERT INTO mart.customer_360 (
    customer_id, customer_name, uscc, phone_masked, source_systems, record_count, relationship_manager,
    risk_grade, risk_grade_reason, contribution_tier, contribution_tier_reason,
    industry_section, industry_reason, industry_code, industry_name_zh, industry_name_en, industry_note,
    needs_tier, needs_tier_reason, lifecycle, lifecycle_reason,
    customer_type, customer_size, customer_size_reason, relationship_model, relationship_model_reason,
    total_exposure, facilities_active, facilities_total, accounts_active, products, product_count,
    deposit_balance, loan_balance, revenue_12m, worst_days_past_due,
    latest_rating, latest_rating_date, probability_of_default, last_interaction_date, last_activity_date,
    segment_rules_version, as_of_date, refreshed_at
)
SELECT
    p.customer_id,
    -- An individual's name is personal data: surname only, the rest masked.
    CASE
        WHEN r.customer_type = 'individual' AND r.customer_size <> 'sole_proprietor' THEN
            SUBSTR(p.name, 1, 1) || REPEAT('*', LENGTH(p.name) - 1)
        ELSE p.name
    END,
    p.uscc,
    CASE
        WHEN p.phone IS NULL THEN NULL
        WHEN LENGTH(p.phone) > 7 THEN SUBSTR(p.phone, 1, 3) || REPEAT('*', LENGTH(p.phone) - 7) || SUBSTR(p.phone, LENGTH(p.phone) - 3)
        ELSE REPEAT('*', LENGTH(p.phone))
    END,
    p.source_systems,
    p.record_count,
    p.relationship_manager,
    r.risk_grade, r.risk_grade_reason, r.contribution_tier, r.contribution_tier_reason,
    r.industry_section, r.industry_reason, p.industry_code, r.industry_name_zh, r.industry_name_en, r.industry_note,
    needs.needs_tier, needs.needs_tier_reason, r.lifecycle, r.lifecycle_reason,
    r.customer_type, r.customer_size, r.customer_size_reason, model.relationship_model, model.relationship_model_reason,
    p.exposure, p.facilities_active, p.facilities_total, p.accounts_active, p.products, p.product_count,
    p.deposit_balance, p.loan_balance, p.revenue_12m, p.worst_days_past_due,
    p.rating, p.rating_date, p.probability_of_default, p.last_interaction_date, p.last_activity_date,
    :rules_version, :as_of, :refreshed_at
FROM _seg_profile AS p
JOIN _seg_result AS r ON r.customer_id = p.customer_id
JOIN _seg_needs AS needs ON needs.customer_id = p.customer_id
JOIN _seg_relationship AS model ON model.customer_id = p.customer_id;
