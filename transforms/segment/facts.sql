-- Facts per golden customer, each tied to it through the party its source record names
-- (party_id, or the account's party for revenue and repayments, in the same source system).
-- Amounts count in home currency through _seg_fx; an amount in a currency without a rate
-- counts as nothing (docs/marts.md).

-- What the customer's own records say about who it is.
DROP TABLE IF EXISTS _seg_identity;
CREATE TEMPORARY TABLE _seg_identity AS
SELECT
    x.customer_id,
    MAX(CASE WHEN p.uscc_valid AND SUBSTR(p.uscc, 1, 2) = '92' THEN 1 ELSE 0 END) AS sole_proprietor_code,
    MAX(CASE WHEN p.uscc_valid AND SUBSTR(p.uscc, 1, 2) <> '92' THEN 1 ELSE 0 END) AS enterprise_code,
    MAX(CASE WHEN p.legal_form IS NOT NULL THEN 1 ELSE 0 END) AS has_legal_form,
    MAX(CASE WHEN p.resident_id_valid THEN 1 ELSE 0 END) AS has_resident_id,
    MAX(p.employees) AS employees,
    MAX(p.annual_revenue) AS annual_revenue,
    MAX(p.total_assets) AS total_assets,
    MAX(p.industry_code) AS any_industry_code,
    MAX(p.relationship_manager) AS relationship_manager
FROM core.customer_xref AS x
JOIN staging.party AS p
    ON p.source_system = x.source_system AND p.source_entity = x.source_entity AND p.source_id = x.source_id
GROUP BY x.customer_id;
ANALYZE _seg_identity;

DROP TABLE IF EXISTS _seg_facility;
CREATE TEMPORARY TABLE _seg_facility AS
SELECT
    x.customer_id,
    COUNT(*) AS facilities_total,
    SUM(CASE WHEN f.status = 'active' THEN 1 ELSE 0 END) AS facilities_active,
    COALESCE(SUM(CASE WHEN f.status = 'active' THEN f.amount * fx.rate END), 0) AS exposure,
    MIN(CASE WHEN f.status = 'active' AND b.product IS NOT NULL THEN f.product END) AS bespoke_product,
    MAX(CASE WHEN COALESCE(f.currency, :home_currency) <> :home_currency THEN 1 ELSE 0 END) AS foreign_currency,
    MAX(CASE WHEN f.status <> 'active' AND COALESCE(f.maturity_date, f.start_date) <= :as_of
        THEN COALESCE(f.maturity_date, f.start_date) END) AS last_closed_date
FROM staging.facility AS f
JOIN core.customer_xref AS x ON x.source_system = f.source_system AND x.source_id = f.party_id
LEFT JOIN _seg_fx AS fx ON fx.currency = COALESCE(f.currency, :home_currency)
LEFT JOIN _seg_bespoke AS b ON b.product = f.product
GROUP BY x.customer_id;
ANALYZE _seg_facility;

DROP TABLE IF EXISTS _seg_account;
CREATE TEMPORARY TABLE _seg_account AS
SELECT
    x.customer_id,
    COUNT(*) AS accounts_total,
    SUM(CASE WHEN a.status = 'active' THEN 1 ELSE 0 END) AS accounts_active,
    COALESCE(SUM(CASE WHEN a.status <> 'closed' AND lp.product IS NULL THEN a.balance * fx.rate END), 0) AS deposit_balance,
    COALESCE(SUM(CASE WHEN a.status <> 'closed' AND lp.product IS NOT NULL THEN a.balance * fx.rate END), 0) AS loan_balance,
    MAX(CASE WHEN COALESCE(a.currency, :home_currency) <> :home_currency THEN 1 ELSE 0 END) AS foreign_currency,
    MAX(CASE WHEN a.status <> 'active' AND COALESCE(a.closed_on, a.opened_on) <= :as_of
        THEN COALESCE(a.closed_on, a.opened_on) END) AS last_closed_date
FROM staging.account AS a
JOIN core.customer_xref AS x ON x.source_system = a.source_system AND x.source_id = a.party_id
LEFT JOIN _seg_fx AS fx ON fx.currency = COALESCE(a.currency, :home_currency)
LEFT JOIN _seg_loan_product AS lp ON lp.product = a.product
GROUP BY x.customer_id;
ANALYZE _seg_account;

-- Distinct products in force: active facilities and open accounts.
DROP TABLE IF EXISTS _seg_product;
CREATE TEMPORARY TABLE _seg_product AS
SELECT customer_id, COUNT(*) AS product_count, STRING_AGG(product, ',' ORDER BY product) AS products
FROM (
    SELECT DISTINCT x.customer_id, f.product
    FROM staging.facility AS f
    JOIN core.customer_xref AS x ON x.source_system = f.source_system AND x.source_id = f.party_id
    WHERE f.status = 'active' AND f.product IS NOT NULL
    UNION
    SELECT DISTINCT x.customer_id, a.product
    FROM staging.account AS a
    JOIN core.customer_xref AS x ON x.source_system = a.source_system AND x.source_id = a.party_id
    WHERE a.status <> 'closed' AND a.product IS NOT NULL
) AS held
GROUP BY customer_id;
ANALYZE _seg_product;

-- Interest and fee income in the trailing window, through the account it was booked on.
DROP TABLE IF EXISTS _seg_revenue;
CREATE TEMPORARY TABLE _seg_revenue AS
SELECT x.customer_id, SUM((COALESCE(r.interest_income, 0) + COALESCE(r.fee_income, 0)) * fx.rate) AS revenue
FROM staging.revenue AS r
JOIN staging.account AS a ON a.source_system = r.source_system AND a.source_id = r.account_id
JOIN core.customer_xref AS x ON x.source_system = a.source_system AND x.source_id = a.party_id
LEFT JOIN _seg_fx AS fx ON fx.currency = COALESCE(r.currency, a.currency, :home_currency)
WHERE r.period >= :window_start AND r.period <= :as_of
GROUP BY x.customer_id;
ANALYZE _seg_revenue;

-- The worst days past due of any repayment due in the trailing window.
DROP TABLE IF EXISTS _seg_repayment;
CREATE TEMPORARY TABLE _seg_repayment AS
SELECT x.customer_id, MAX(rp.days_past_due) AS worst_days_past_due
FROM staging.repayment AS rp
JOIN staging.account AS a ON a.source_system = rp.source_system AND a.source_id = rp.account_id
JOIN core.customer_xref AS x ON x.source_system = a.source_system AND x.source_id = a.party_id
WHERE rp.due_date >= :window_start AND rp.due_date <= :as_of
GROUP BY x.customer_id;
ANALYZE _seg_repayment;

DROP TABLE IF EXISTS _seg_interaction;
CREATE TEMPORARY TABLE _seg_interaction AS
SELECT x.customer_id, MAX(i.interaction_date) AS last_interaction_date
FROM staging.interaction AS i
JOIN core.customer_xref AS x ON x.source_system = i.source_system AND x.source_id = i.party_id
WHERE i.interaction_date <= :as_of
GROUP BY x.customer_id;
ANALYZE _seg_interaction;

-- Ratings carry no party key: one belongs to every customer whose records carry its
-- credit code, or else to the one customer whose records carry exactly its name.
DROP TABLE IF EXISTS _seg_party_key;
CREATE TEMPORARY TABLE _seg_party_key AS
SELECT DISTINCT x.customer_id, CASE WHEN p.uscc_valid THEN p.uscc END AS uscc, p.name
FROM core.customer_xref AS x
JOIN staging.party AS p
    ON p.source_system = x.source_system AND p.source_entity = x.source_entity AND p.source_id = x.source_id;
ANALYZE _seg_party_key;

-- Each current rating with its grade: the rating's own (modifier folded), else its PD's
-- on the master scale (the best grade whose bound the PD does not exceed).
DROP TABLE IF EXISTS _seg_rating_graded;
CREATE TEMPORARY TABLE _seg_rating_graded AS
SELECT
    r.source_system, r.source_entity, r.source_id, r.party_name, r.uscc, r.rating, r.probability_of_default,
    r.rating_date, rated.grade_rank AS rated_rank,
    (SELECT MIN(s.grade_rank) FROM _seg_scale AS s WHERE s.pd_upper >= r.probability_of_default) AS pd_rank
FROM staging.rating AS r
LEFT JOIN _seg_scale AS rated ON rated.grade = RTRIM(r.rating, '+-')
WHERE r.rating_date >= :rating_since AND r.rating_date <= :as_of;
ANALYZE _seg_rating_graded;

DROP TABLE IF EXISTS _seg_rating_owner;
CREATE TEMPORARY TABLE _seg_rating_owner AS
SELECT DISTINCT r.source_system, r.source_entity, r.source_id, k.customer_id
FROM _seg_rating_graded AS r
JOIN _seg_party_key AS k ON k.uscc = r.uscc
UNION
SELECT r.source_system, r.source_entity, r.source_id, named.customer_id
FROM _seg_rating_graded AS r
JOIN (
    SELECT name, MIN(customer_id) AS customer_id
    FROM _seg_party_key
    GROUP BY name
    HAVING COUNT(DISTINCT customer_id) = 1
) AS named ON named.name = r.party_name
WHERE NOT EXISTS (SELECT 1 FROM _seg_party_key AS k WHERE k.uscc = r.uscc);
ANALYZE _seg_rating_owner;

DROP TABLE IF EXISTS _seg_rating;
CREATE TEMPORARY TABLE _seg_rating AS
SELECT
    o.customer_id, r.source_system, r.source_id, r.rating, r.probability_of_default, r.rating_date,
    COALESCE(r.rated_rank, r.pd_rank) AS grade_rank,
    CASE WHEN r.rated_rank IS NULL THEN by_pd.pd_upper END AS pd_upper
FROM _seg_rating_graded AS r
JOIN _seg_rating_owner AS o
    ON o.source_system = r.source_system AND o.source_entity = r.source_entity AND o.source_id = r.source_id
LEFT JOIN _seg_scale AS by_pd ON by_pd.grade_rank = r.pd_rank;
ANALYZE _seg_rating;

-- The rating in force per customer: by the configured policy, among its current ratings.
DROP TABLE IF EXISTS _seg_rating_pick;
CREATE TEMPORARY TABLE _seg_rating_pick AS
SELECT customer_id, source_system, source_id, rating, probability_of_default, rating_date, grade_rank, pd_upper, current_ratings
FROM (
    SELECT *,
        COUNT(*) OVER (PARTITION BY customer_id) AS current_ratings,
        ROW_NUMBER() OVER (
            PARTITION BY customer_id
            ORDER BY CASE WHEN CAST(:rating_policy AS TEXT) = 'latest' THEN rating_date END DESC,
                grade_rank DESC, rating_date DESC, source_system, source_id
        ) AS pick
    FROM _seg_rating
    WHERE grade_rank IS NOT NULL
) AS ranked
WHERE pick = 1;
ANALYZE _seg_rating_pick;
