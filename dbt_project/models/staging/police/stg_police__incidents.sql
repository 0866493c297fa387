-- One row per police incident (latest version); address and summary stay out.
select
    incident_id,
    category_code,
    status,
    grid_code,
    community_code,
    street_code,
    district_code,
    reported_at,
    {{ local_date('reported_at') }} as reported_date,
    dispatched_at,
    arrived_at,
    closed_at,
    police_station,
    updated_at
from {{ source('police_incidents', 'incidents') }}
