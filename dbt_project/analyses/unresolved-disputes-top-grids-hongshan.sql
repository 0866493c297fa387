-- Analyst question 1: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask unresolved-disputes-top-grids-hongshan
-- question: 1
-- title: Which five grids of 洪山区 had the most unresolved disputes last month?
-- rows: any
--
-- Unresolved = not mediated successfully (still 化解中, mediation failed, or passed to litigation),
-- registered in the latest month of data.
WITH last_month AS (
    SELECT max(date_trunc('month', reported_date)) AS month_start FROM lakehouse.gold.fct_disputes
)
SELECT g.grid_code, g.grid_name, g.community_name, g.street_name,
       count(*) AS unresolved_disputes,
       count_if(NOT d.is_closed) AS still_open,
       max(d.current_level) AS highest_level
FROM lakehouse.gold.fct_disputes AS d
JOIN lakehouse.gold.dim_grid AS g ON g.grid_code = d.grid_code AND g.is_current
CROSS JOIN last_month AS lm
WHERE g.district_name = '洪山区'
  AND NOT d.is_resolved
  AND date_trunc('month', d.reported_date) = lm.month_start
GROUP BY g.grid_code, g.grid_name, g.community_name, g.street_name
ORDER BY unresolved_disputes DESC, g.grid_code
LIMIT 5
