-- Analyst question 3: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask police-incidents-per-10k-by-district
-- question: 3
-- title: Police incidents per 10,000 residents by district last month, and the change against the month before.
SELECT node_name AS district, incidents, residents, incidents_per_10k,
       previous_period_incidents, change_vs_previous_pct
FROM lakehouse.gold.theme_public_order
WHERE hierarchy_level = 'district' AND period = 'month' AND category_code = 'all'
  AND period_start = (SELECT max(period_start) FROM lakehouse.gold.theme_public_order WHERE period = 'month')
ORDER BY incidents_per_10k DESC
