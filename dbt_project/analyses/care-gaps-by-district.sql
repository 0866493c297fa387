-- Analyst question 13: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask care-gaps-by-district
-- question: 13
-- title: Care gaps: elderly living alone without a health check and overdue mental-health follow-ups, by district, last month.
SELECT node_name AS district, indicator, indicator_zh, value AS people_with_gap, population, share
FROM lakehouse.gold.theme_public_safety
WHERE hierarchy_level = 'district' AND period = 'month'
  AND indicator IN ('elderly_alone_without_check', 'smd_followup_overdue')
  AND period_start = (SELECT max(period_start) FROM lakehouse.gold.theme_public_safety WHERE period = 'month')
ORDER BY indicator, share DESC, district
