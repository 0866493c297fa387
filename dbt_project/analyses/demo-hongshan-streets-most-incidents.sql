-- Analyst question 16: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask demo-hongshan-streets-most-incidents
-- question: 16
-- title: 洪山区哪五个街道本周警情最多？/ Which five streets of 洪山区 had the most police incidents this week?
--
-- The question `make demo` asks of the week it generates: police incidents, 12345 tickets, new disputes and
-- residents of the streets of 洪山区 (district 420111), summed over the days in governance_kpis.
SELECT node_name AS street, sum(police_incidents) AS incidents,
       sum(hotline_tickets) AS hotline_tickets, sum(disputes_new) AS new_disputes, max(residents) AS residents
FROM lakehouse.gold.governance_kpis
WHERE hierarchy_level = 'street' AND parent_code = '420111'
GROUP BY node_name
ORDER BY incidents DESC, hotline_tickets DESC
LIMIT 5
