-- Analyst question 14: Trino SQL over lakehouse.gold (no Jinja: dbt only carries it). Run: govlake ask party-members-by-district
-- question: 14
-- title: Party members per 1,000 residents and volunteer hours, by district.
SELECT node_name AS district, period_start AS month, party_members, residents,
       party_members_per_1000_residents, activities, volunteers, volunteer_hours
FROM lakehouse.gold.theme_party_building
WHERE hierarchy_level = 'district' AND period = 'month' AND breakdown = 'all'
ORDER BY month, party_members_per_1000_residents DESC
