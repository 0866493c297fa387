-- Analyst question 8: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask urban-case-closure-by-class
-- question: 8
-- title: How fast does urban management close its cases, by case class?
SELECT period_start AS month, breakdown_value AS case_class, breakdown_value_en AS case_class_en,
       urban_cases, closed_urban_cases, closed_share, median_closure_hours, mean_closure_hours
FROM lakehouse.gold.theme_harmonious_city
WHERE hierarchy_level = 'city' AND period = 'month' AND breakdown = 'case_class'
ORDER BY month, urban_cases DESC
