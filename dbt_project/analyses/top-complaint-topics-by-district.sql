-- Analyst question 7: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask top-complaint-topics-by-district
-- question: 7
-- title: Which topics do callers complain about most in each district last month?
SELECT district, topic, topic_en, complaints, repeat_complaints
FROM (
    SELECT node_name AS district, breakdown_value AS topic, breakdown_value_en AS topic_en,
           complaints, repeat_complaints,
           row_number() OVER (PARTITION BY node_code ORDER BY complaints DESC, breakdown_value) AS rank_in_district
    FROM lakehouse.gold.theme_harmonious_city
    WHERE hierarchy_level = 'district' AND period = 'month' AND breakdown = 'topic' AND complaints > 0
      AND period_start = (SELECT max(period_start) FROM lakehouse.gold.theme_harmonious_city WHERE period = 'month')
)
WHERE rank_in_district <= 3
ORDER BY district, rank_in_district
