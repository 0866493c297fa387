-- Analyst question 10: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask telecom-fraud-victims-by-age
-- question: 10
-- title: Telecom and online fraud last month: incidents and victims by age band.
SELECT period_start AS month, breakdown_value AS victim_age_band, fraud_victims,
       (SELECT fraud_incidents FROM lakehouse.gold.theme_cyber_security AS a
        WHERE a.hierarchy_level = 'city' AND a.period = 'month' AND a.breakdown = 'all'
          AND a.period_start = c.period_start) AS fraud_incidents_city
FROM lakehouse.gold.theme_cyber_security AS c
WHERE hierarchy_level = 'city' AND period = 'month' AND breakdown = 'victim_age_band'
ORDER BY month, victim_age_band
