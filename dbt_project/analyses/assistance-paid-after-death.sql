-- Analyst question 6: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask assistance-paid-after-death
-- question: 6
-- title: Which assistance payments were made after the recipient's death, and how much must be recovered per district?
--
-- (民政 pays, 卫健's death registration proves the death.)
SELECT d.district_name, f.status, count(DISTINCT f.person_id) AS recipients,
       count(*) AS payments, sum(p.amount) AS amount_cny,
       min(p.pay_date) AS first_payment, max(p.pay_date) AS last_payment
FROM lakehouse.gold.reconciliation_findings AS f
CROSS JOIN UNNEST(f.source_ids) AS u(source_id)
JOIN lakehouse.gold.fct_assistance_payments AS p ON p.payment_id = u.source_id
LEFT JOIN lakehouse.gold.dim_district AS d ON d.district_code = f.district_code AND d.is_current
WHERE f.finding_type = 'paid_after_death'
GROUP BY d.district_name, f.status
ORDER BY amount_cny DESC
