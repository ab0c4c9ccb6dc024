-- From/to counts per dimension since the previous run, read before publish.sql moves the
-- history on: the open history rows are the previous run's segments.
INSERT INTO mart.segment_migration (
    from_as_of, to_as_of, from_rules_version, to_rules_version, dimension, from_segment, to_segment, customers, recorded_at
)
SELECT
    :from_as_of, :as_of, :from_rules_version, :rules_version,
    COALESCE(h.dimension, v.dimension), COALESCE(h.segment, '(new)'), COALESCE(v.segment, '(gone)'), COUNT(*),
    :refreshed_at
FROM (
    SELECT customer_id, dimension, segment FROM mart.customer_segment_history WHERE valid_to IS NULL
) AS h
FULL OUTER JOIN _seg_value AS v ON v.customer_id = h.customer_id AND v.dimension = h.dimension
GROUP BY COALESCE(h.dimension, v.dimension), COALESCE(h.segment, '(new)'), COALESCE(v.segment, '(gone)');
