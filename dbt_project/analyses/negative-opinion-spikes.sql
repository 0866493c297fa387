-- Analyst question 11: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask negative-opinion-spikes
-- question: 11
-- title: Where and when did negative public opinion spike?
SELECT period_start AS day, node_name AS district, breakdown_value AS topic,
       negative_posts, round(negative_posts_trailing_mean, 2) AS trailing_mean,
       round(negative_posts_z_score, 2) AS z_score
FROM lakehouse.gold.theme_cyber_security
WHERE is_spike
ORDER BY day, z_score DESC
