-- Analyst question 5: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask elderly-living-alone-by-street
-- question: 5
-- title: How many elderly people live alone in each street, and how many of them are 80 or older?
--
-- (Counted from the person dimension at the latest register snapshot; publish street totals, not
-- lists.)
SELECT s.district_name, s.street_name,
       count(*) AS elderly_living_alone,
       count_if(p.age >= 80) AS aged_80_plus,
       count_if(p.is_disabled) AS also_disabled
FROM lakehouse.gold.dim_person AS p
JOIN lakehouse.gold.dim_street AS s ON s.street_code = p.street_code AND s.is_current
WHERE p.is_in_register AND p.is_elderly_living_alone
GROUP BY s.district_name, s.street_name
ORDER BY elderly_living_alone DESC, s.street_name
LIMIT 20
