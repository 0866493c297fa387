-- Analyst question 15: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask dispute-flow-city-month
-- question: 15
-- title: Dispute flow for the whole city by month: registered, closed, resolved, escalation rate and 30-day resolution.
SELECT period_start AS month, new_disputes, open_disputes, closed_disputes, resolved_disputes,
       escalation_rate, median_dwell_days, resolved_within_30d_share, is_30d_window_complete
FROM lakehouse.gold.theme_disputes
WHERE hierarchy_level = 'city' AND period = 'month' AND breakdown = 'all'
ORDER BY month
