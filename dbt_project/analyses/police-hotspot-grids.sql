-- Analyst question 4: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask police-hotspot-grids
-- question: 4
-- title: Which grids are the police hotspots of their district last month?
SELECT g.district_name, g.street_name, g.community_name, p.node_code AS grid_code,
       p.incidents, p.grid_zscore, p.grid_rank_in_district
FROM lakehouse.gold.theme_public_order AS p
JOIN lakehouse.gold.dim_grid AS g ON g.grid_code = p.node_code AND g.is_current
WHERE p.hierarchy_level = 'grid' AND p.period = 'month' AND p.category_code = 'all' AND p.is_hotspot
  AND p.period_start = (SELECT max(period_start) FROM lakehouse.gold.theme_public_order WHERE period = 'month')
ORDER BY g.district_name, p.grid_rank_in_district
