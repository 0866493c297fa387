-- Analyst question 2: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask hotline-tickets-by-district-month
-- question: 2
-- title: How many 12345 tickets did each district receive per month, how many were resolved, and how satisfied were callers?
SELECT node_code AS district_code, node_name AS district, period_start AS month,
       tickets, complaints, resolved_tickets, resolution_rate,
       replied_within_target_share, satisfied_share, repeat_complaints
FROM lakehouse.gold.theme_harmonious_city
WHERE hierarchy_level = 'district' AND period = 'month' AND breakdown = 'all' AND tickets > 0
ORDER BY month, tickets DESC
