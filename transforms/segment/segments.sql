-- Every golden customer with its facts (facts.sql), one row each.
DROP TABLE IF EXISTS _seg_profile;
CREATE TEMPORARY TABLE _seg_profile AS
SELECT
    c.customer_id, c.name, c.uscc, c.phone, c.source_systems, c.record_count,
    COALESCE(c.industry_code, i.any_industry_code) AS industry_code,
    COALESCE(i.sole_proprietor_code, 0) AS sole_proprietor_code,
    COALESCE(i.enterprise_code, 0) AS enterprise_code,
    COALESCE(i.has_legal_form, 0) AS has_legal_form,
    COALESCE(i.has_resident_id, 0) AS has_resident_id,
    i.employees, i.annual_revenue, i.total_assets, i.relationship_manager,
    COALESCE(f.facilities_total, 0) AS facilities_total,
    COALESCE(f.facilities_active, 0) AS facilities_active,
    CAST(COALESCE(f.exposure, 0) AS DECIMAL(20, 2)) AS exposure,
    f.bespoke_product,
    COALESCE(a.accounts_total, 0) AS accounts_total,
    COALESCE(a.accounts_active, 0) AS accounts_active,
    CAST(COALESCE(a.deposit_balance, 0) AS DECIMAL(20, 2)) AS deposit_balance,
    CAST(COALESCE(a.loan_balance, 0) AS DECIMAL(20, 2)) AS loan_balance,
    CASE WHEN COALESCE(f.foreign_currency, 0) + COALESCE(a.foreign_currency, 0) > 0 THEN 1 ELSE 0 END AS foreign_currency,
    pr.products,
    COALESCE(pr.product_count, 0) AS product_count,
    CAST(COALESCE(rv.revenue, 0) AS DECIMAL(20, 2)) AS revenue_12m,
    rp.worst_days_past_due,
    it.last_interaction_date,
    GREATEST(
        COALESCE(f.last_closed_date, a.last_closed_date, it.last_interaction_date),
        COALESCE(a.last_closed_date, it.last_interaction_date, f.last_closed_date),
        COALESCE(it.last_interaction_date, f.last_closed_date, a.last_closed_date)
    ) AS last_activity_date,
    rt.rating, rt.probability_of_default, rt.rating_date, rt.grade_rank, rt.pd_upper, rt.current_ratings,
    rt.source_system AS rating_source_system, rt.source_id AS rating_source_id
FROM core.customer AS c
LEFT JOIN _seg_identity AS i ON i.customer_id = c.customer_id
LEFT JOIN _seg_facility AS f ON f.customer_id = c.customer_id
LEFT JOIN _seg_account AS a ON a.customer_id = c.customer_id
LEFT JOIN _seg_product AS pr ON pr.customer_id = c.customer_id
LEFT JOIN _seg_revenue AS rv ON rv.customer_id = c.customer_id
LEFT JOIN _seg_repayment AS rp ON rp.customer_id = c.customer_id
LEFT JOIN _seg_interaction AS it ON it.customer_id = c.customer_id
LEFT JOIN _seg_rating_pick AS rt ON rt.customer_id = c.customer_id;
ANALYZE _seg_profile;

-- Customer type from identifiers: an enterprise credit code or legal form makes an
-- enterprise; a sole proprietorship's code (92…) or a resident ID an individual.
DROP TABLE IF EXISTS _seg_type;
CREATE TEMPORARY TABLE _seg_type AS
SELECT
    customer_id,
    CASE
        WHEN enterprise_code = 1 OR (has_legal_form = 1 AND sole_proprietor_code = 0) THEN 'enterprise'
        WHEN sole_proprietor_code = 1 OR has_resident_id = 1 THEN 'individual'
        ELSE 'unknown'
    END AS customer_type
FROM _seg_profile;
ANALYZE _seg_type;

-- The size standard's line for each enterprise: the longest industry prefix its code starts with.
DROP TABLE IF EXISTS _seg_size_line;
CREATE TEMPORARY TABLE _seg_size_line AS
SELECT customer_id, standard_line, prefix
FROM (
    SELECT p.customer_id, s.standard_line, s.prefix,
        ROW_NUMBER() OVER (PARTITION BY p.customer_id ORDER BY LENGTH(s.prefix) DESC) AS pick
    FROM _seg_profile AS p
    JOIN _seg_type AS t ON t.customer_id = p.customer_id AND t.customer_type = 'enterprise'
    JOIN (SELECT DISTINCT standard_line, prefix FROM _seg_size) AS s
        ON COALESCE(p.industry_code, '') LIKE s.prefix || '%'
) AS lines
WHERE pick = 1;
ANALYZE _seg_size_line;

-- The largest class all of whose measures the enterprise reaches; a measure no source
-- gives is left out, and with no measure at all the size is unknown.
DROP TABLE IF EXISTS _seg_size_class;
CREATE TEMPORARY TABLE _seg_size_class AS
SELECT
    l.customer_id, l.standard_line,
    MIN(CASE
        WHEN (s.min_employees IS NULL OR p.employees IS NULL OR p.employees >= s.min_employees)
            AND (s.min_revenue IS NULL OR p.annual_revenue IS NULL OR p.annual_revenue >= s.min_revenue)
            AND (s.min_assets IS NULL OR p.total_assets IS NULL OR p.total_assets >= s.min_assets)
            AND ((s.min_employees IS NOT NULL AND p.employees IS NOT NULL)
                OR (s.min_revenue IS NOT NULL AND p.annual_revenue IS NOT NULL)
                OR (s.min_assets IS NOT NULL AND p.total_assets IS NOT NULL))
        THEN s.class_rank
    END) AS class_rank,
    MAX(CASE
        WHEN (s.min_employees IS NOT NULL AND p.employees IS NOT NULL)
            OR (s.min_revenue IS NOT NULL AND p.annual_revenue IS NOT NULL)
            OR (s.min_assets IS NOT NULL AND p.total_assets IS NOT NULL)
        THEN 1 ELSE 0
    END) AS measured
FROM _seg_size_line AS l
JOIN _seg_size AS s ON s.standard_line = l.standard_line AND s.prefix = l.prefix
JOIN _seg_profile AS p ON p.customer_id = l.customer_id
GROUP BY l.customer_id, l.standard_line;
ANALYZE _seg_size_class;

-- Contribution: rank earning customers by trailing revenue; a customer is in the first tier
-- whose up_to exceeds the share (of revenue, or of customers) ranked above it. Ties share a tier.
DROP TABLE IF EXISTS _seg_contribution;
CREATE TEMPORARY TABLE _seg_contribution AS
SELECT
    customer_id, revenue_12m,
    SUM(revenue_12m) OVER (ORDER BY revenue_12m DESC) - SUM(revenue_12m) OVER (PARTITION BY revenue_12m) AS revenue_above,
    SUM(revenue_12m) OVER () AS revenue_total,
    COUNT(*) OVER (ORDER BY revenue_12m DESC) - COUNT(*) OVER (PARTITION BY revenue_12m) AS customers_above,
    COUNT(*) OVER () AS customers_total
FROM _seg_profile
WHERE revenue_12m > 0;
ANALYZE _seg_contribution;

DROP TABLE IF EXISTS _seg_contribution_tier;
CREATE TEMPORARY TABLE _seg_contribution_tier AS
SELECT c.customer_id, MIN(t.tier_rank) AS tier_rank
FROM _seg_contribution AS c
JOIN _seg_tier AS t ON CASE
    WHEN CAST(:contribution_method AS TEXT) = 'quantile' THEN c.customers_above < t.up_to * c.customers_total
    ELSE c.revenue_above < t.up_to * c.revenue_total
END
GROUP BY c.customer_id;
ANALYZE _seg_contribution_tier;

-- Every dimension but the relationship model, with the reason for each value.
DROP TABLE IF EXISTS _seg_result;
CREATE TEMPORARY TABLE _seg_result AS
SELECT
    p.customer_id,
    COALESCE(g.grade, 'unrated') AS risk_grade,
    CASE
        WHEN p.grade_rank IS NULL THEN
            'unrated: no internal rating or PD dated within ' || :rating_valid_days || ' days up to ' || :as_of_text
        WHEN p.rating IS NOT NULL AND p.pd_upper IS NULL THEN
            g.grade || ': internal rating ' || p.rating || ' of ' || CAST(p.rating_date AS VARCHAR)
            || ' (' || p.rating_source_system || ' ' || p.rating_source_id || '); '
            || :rating_policy || ' of ' || CAST(p.current_ratings AS VARCHAR) || ' current rating(s)'
        ELSE
            g.grade || ': no internal grade; PD ' || CAST(p.probability_of_default AS VARCHAR) || ' of '
            || CAST(p.rating_date AS VARCHAR) || ' is within the master scale''s ' || g.grade || ' bound of '
            || CAST(p.pd_upper AS VARCHAR) || ' (' || p.rating_source_system || ' ' || p.rating_source_id || ')'
    END AS risk_grade_reason,
    COALESCE(t.tier, :no_revenue_tier) AS contribution_tier,
    CASE
        WHEN t.tier IS NULL THEN
            :no_revenue_tier || ': no interest or fee income in the ' || :trailing_months || ' months to ' || :as_of_text
        WHEN CAST(:contribution_method AS TEXT) = 'quantile' THEN
            t.tier || ': ' || :trailing_months || '-month revenue ' || CAST(p.revenue_12m AS VARCHAR) || ' ' || :home_currency
            || '; ' || CAST(c.customers_above AS VARCHAR) || ' of ' || CAST(c.customers_total AS VARCHAR)
            || ' earning customers rank above it, below ' || CAST(CAST(t.up_to * 100 AS DECIMAL(9, 1)) AS VARCHAR) || '% of them'
        ELSE
            t.tier || ': ' || :trailing_months || '-month revenue ' || CAST(p.revenue_12m AS VARCHAR) || ' ' || :home_currency
            || '; customers ranked above it earn '
            || CAST(CAST(100 * c.revenue_above / c.revenue_total AS DECIMAL(9, 1)) AS VARCHAR)
            || '% of all revenue, below ' || CAST(CAST(t.up_to * 100 AS DECIMAL(9, 1)) AS VARCHAR) || '%'
    END AS contribution_tier_reason,
    COALESCE(ind.section, 'unknown') AS industry_section,
    CASE
        WHEN ind.section IS NULL THEN 'unknown: no GB/T 4754 industry code in any source'
        ELSE ind.section || ': industry code ' || p.industry_code || ', ' || ind.name_zh || ' / ' || ind.name_en
    END AS industry_reason,
    ind.name_zh AS industry_name_zh,
    ind.name_en AS industry_name_en,
    ind.note AS industry_note,
    CASE
        WHEN p.facilities_total + p.accounts_total = 0 THEN 'prospect'
        WHEN p.facilities_active + p.accounts_active > 0 OR p.last_activity_date >= :churn_cutoff THEN 'existing'
        ELSE 'churned'
    END AS lifecycle,
    CASE
        WHEN p.facilities_total + p.accounts_total = 0 THEN
            'prospect: no facility or account in any system; known from ' || p.source_systems
        WHEN p.facilities_active + p.accounts_active > 0 THEN
            'existing: ' || CAST(p.facilities_active AS VARCHAR) || ' active facility(ies) and '
            || CAST(p.accounts_active AS VARCHAR) || ' active account(s)'
        WHEN p.last_activity_date >= :churn_cutoff THEN
            'existing: nothing active, but last activity ' || CAST(p.last_activity_date AS VARCHAR)
            || ' is within ' || :churn_after_days || ' days of ' || :as_of_text
        ELSE
            'churned: all ' || CAST(p.facilities_total + p.accounts_total AS VARCHAR)
            || ' facility(ies) and account(s) closed; last activity '
            || COALESCE(CAST(p.last_activity_date AS VARCHAR), 'unknown')
            || ' is more than ' || :churn_after_days || ' days before ' || :as_of_text
    END AS lifecycle_reason,
    ty.customer_type,
    CASE
        WHEN ty.customer_type = 'individual' AND p.sole_proprietor_code = 1 THEN 'sole_proprietor'
        WHEN ty.customer_type = 'individual' AND p.deposit_balance >= :high_net_worth_deposits THEN 'high_net_worth'
        WHEN ty.customer_type = 'individual' THEN 'individual_other'
        WHEN ty.customer_type = 'enterprise' AND :multinational_if_foreign_currency AND p.foreign_currency = 1 THEN 'multinational'
        WHEN ty.customer_type = 'enterprise' AND sc.class_rank = 1 THEN 'large'
        WHEN ty.customer_type = 'enterprise' AND sc.class_rank = 2 THEN 'medium'
        WHEN ty.customer_type = 'enterprise' AND sc.class_rank = 3 THEN 'small'
        WHEN ty.customer_type = 'enterprise' AND sc.measured = 1 THEN 'micro'
        ELSE 'unknown'
    END AS customer_size,
    CASE
        WHEN ty.customer_type = 'individual' AND p.sole_proprietor_code = 1 THEN
            'sole_proprietor: credit code of a sole proprietorship (92…)'
        WHEN ty.customer_type = 'individual' AND p.deposit_balance >= :high_net_worth_deposits THEN
            'high_net_worth: deposits ' || CAST(p.deposit_balance AS VARCHAR) || ' ' || :home_currency
            || ' reach ' || :high_net_worth_text
        WHEN ty.customer_type = 'individual' THEN
            'individual_other: resident ID, deposits ' || CAST(p.deposit_balance AS VARCHAR) || ' ' || :home_currency
            || ' below ' || :high_net_worth_text
        WHEN ty.customer_type = 'enterprise' AND :multinational_if_foreign_currency AND p.foreign_currency = 1 THEN
            'multinational: facilities or accounts in a currency other than ' || :home_currency
        WHEN ty.customer_type = 'enterprise' AND sc.measured = 1 THEN
            CASE sc.class_rank WHEN 1 THEN 'large' WHEN 2 THEN 'medium' WHEN 3 THEN 'small' ELSE 'micro' END
            || ': ' || :size_standard || ', line ' || sc.standard_line
            || '; employees ' || COALESCE(CAST(p.employees AS VARCHAR), 'unknown')
            || ', annual revenue ' || COALESCE(CAST(p.annual_revenue AS VARCHAR), 'unknown')
            || ', total assets ' || COALESCE(CAST(p.total_assets AS VARCHAR), 'unknown')
        WHEN ty.customer_type = 'enterprise' THEN
            'unknown: no source gives the employees, annual revenue or total assets the size standard needs'
        ELSE 'unknown: neither a credit code, a legal form nor a resident ID tells enterprise from individual'
    END AS customer_size_reason
FROM _seg_profile AS p
JOIN _seg_type AS ty ON ty.customer_id = p.customer_id
LEFT JOIN _seg_scale AS g ON g.grade_rank = p.grade_rank
LEFT JOIN _seg_contribution AS c ON c.customer_id = p.customer_id
LEFT JOIN _seg_contribution_tier AS ct ON ct.customer_id = p.customer_id
LEFT JOIN _seg_tier AS t ON t.tier_rank = ct.tier_rank
LEFT JOIN _seg_industry AS ind ON ind.section = SUBSTR(p.industry_code, 1, 1)
LEFT JOIN _seg_size_class AS sc ON sc.customer_id = p.customer_id;
ANALYZE _seg_result;

-- Needs: premium when any configured criterion holds, naming the first that does.
DROP TABLE IF EXISTS _seg_needs;
CREATE TEMPORARY TABLE _seg_needs AS
SELECT customer_id, SUBSTR(reason, 1, POSITION(':' IN reason) - 1) AS needs_tier, reason AS needs_tier_reason
FROM (
    SELECT
        p.customer_id,
        CASE
            WHEN CAST(:needs_exposure AS DECIMAL(20, 2)) IS NOT NULL AND p.exposure >= CAST(:needs_exposure AS DECIMAL(20, 2)) THEN
                'premium: exposure ' || CAST(p.exposure AS VARCHAR) || ' ' || :home_currency || ' reaches ' || :needs_exposure_text
            WHEN p.bespoke_product IS NOT NULL THEN
                'premium: holds a bespoke product (' || p.bespoke_product || ')'
            WHEN CAST(:needs_products AS INTEGER) IS NOT NULL AND p.product_count >= CAST(:needs_products AS INTEGER) THEN
                'premium: ' || CAST(p.product_count AS VARCHAR) || ' products in force (' || p.products || ')'
            WHEN :needs_high_net_worth AND r.customer_size = 'high_net_worth' THEN
                'premium: high-net-worth individual'
            ELSE
                'basic: exposure ' || CAST(p.exposure AS VARCHAR) || ' ' || :home_currency || ', '
                || CAST(p.product_count AS VARCHAR) || ' product(s) in force, no bespoke product'
        END AS reason
    FROM _seg_profile AS p
    JOIN _seg_result AS r ON r.customer_id = p.customer_id
) AS needs;
ANALYZE _seg_needs;

-- Every segment as (customer, dimension, segment, reason): the relationship rules, the
-- history and the migration matrices all read this shape.
DROP TABLE IF EXISTS _seg_value;
CREATE TEMPORARY TABLE _seg_value AS
SELECT customer_id, 'risk_grade' AS dimension, risk_grade AS segment, risk_grade_reason AS reason FROM _seg_result
UNION ALL SELECT customer_id, 'contribution_tier', contribution_tier, contribution_tier_reason FROM _seg_result
UNION ALL SELECT customer_id, 'industry', industry_section, industry_reason FROM _seg_result
UNION ALL SELECT customer_id, 'needs_tier', needs_tier, needs_tier_reason FROM _seg_needs
UNION ALL SELECT customer_id, 'lifecycle', lifecycle, lifecycle_reason FROM _seg_result
UNION ALL SELECT customer_id, 'customer_type', customer_type, customer_type || ': ' || customer_size_reason FROM _seg_result
UNION ALL SELECT customer_id, 'customer_size', customer_size, customer_size_reason FROM _seg_result;
ANALYZE _seg_value;

-- Strategic when every dimension of some configured rule has one of its segments.
DROP TABLE IF EXISTS _seg_strategic_match;
CREATE TEMPORARY TABLE _seg_strategic_match AS
SELECT met.customer_id, MIN(met.rule_no) AS rule_no
FROM (
    SELECT v.customer_id, r.rule_no, COUNT(DISTINCT r.dimension) AS dimensions_met
    FROM _seg_value AS v
    JOIN _seg_strategic AS r ON r.dimension = v.dimension AND r.segment = v.segment
    GROUP BY v.customer_id, r.rule_no
) AS met
JOIN _seg_strategic_rule AS rule ON rule.rule_no = met.rule_no AND rule.dimensions = met.dimensions_met
GROUP BY met.customer_id;
ANALYZE _seg_strategic_match;

DROP TABLE IF EXISTS _seg_relationship;
CREATE TEMPORARY TABLE _seg_relationship AS
SELECT
    p.customer_id,
    CASE WHEN m.rule_no IS NULL THEN 'transactional' ELSE 'strategic' END AS relationship_model,
    CASE
        WHEN m.rule_no IS NULL THEN 'transactional: meets none of the ' || :strategic_rules || ' strategic rule(s)'
        ELSE 'strategic: meets rule ' || CAST(m.rule_no AS VARCHAR) || ' (' || rule.description || ')'
    END AS relationship_model_reason
FROM _seg_profile AS p
LEFT JOIN _seg_strategic_match AS m ON m.customer_id = p.customer_id
LEFT JOIN _seg_strategic_rule AS rule ON rule.rule_no = m.rule_no;
ANALYZE _seg_relationship;

INSERT INTO _seg_value (customer_id, dimension, segment, reason)
SELECT customer_id, 'relationship_model', relationship_model, relationship_model_reason FROM _seg_relationship;
