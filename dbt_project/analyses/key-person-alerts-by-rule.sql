-- Analyst question 12: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask key-person-alerts-by-rule
-- question: 12
-- title: Which early-warning rules fire, where, and how many people do they flag?
SELECT r.rule_id, r.name_zh, r.name_en, d.district_name,
       count(*) AS alerts, count(DISTINCT a.subject_token) AS subjects,
       sum(a.event_count) AS events, max(a.last_seen) AS latest_event
FROM lakehouse.gold.key_person_alerts AS a
JOIN lakehouse.gold.key_person_alert_rules AS r ON r.rule_id = a.rule_id
LEFT JOIN lakehouse.gold.dim_district AS d ON d.district_code = a.district_code AND d.is_current
GROUP BY r.rule_id, r.name_zh, r.name_en, d.district_name
ORDER BY alerts DESC, r.rule_id
