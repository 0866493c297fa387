-- Analyst question 9: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask police-arrival-minutes-by-district
-- question: 9
-- title: How long does the police take to arrive, by district (median and 90th percentile)?
SELECT d.district_name,
       count(*) AS incidents,
       count(i.arrival_minutes) AS with_arrival,
       approx_percentile(i.arrival_minutes, 0.5) AS median_arrival_minutes,
       approx_percentile(i.arrival_minutes, 0.9) AS p90_arrival_minutes,
       round(avg(i.close_minutes) / 60, 1) AS mean_hours_to_close
FROM lakehouse.gold.fct_police_incidents AS i
JOIN lakehouse.gold.dim_district AS d ON d.district_code = i.district_code AND d.is_current
GROUP BY d.district_name
ORDER BY median_arrival_minutes DESC
