-- Reconciliation findings counted per owning department × finding type × status (the stewards'
-- work list at a glance). Grain: owning_department × finding_type × status.
select
    owning_department,
    finding_type,
    status,
    count(*) as findings,
    count(distinct person_id) as persons,
    min(first_detected) as first_detected_min,
    max(last_detected) as last_detected_max
from {{ ref('reconciliation_findings') }}
group by owning_department, finding_type, status
