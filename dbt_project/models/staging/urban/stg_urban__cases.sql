-- One row per urban-management case (latest version); address and reporter stay out.
select
    case_id,
    source as case_source,
    case_type,
    case_class,
    case_subclass,
    grid_code,
    community_code,
    street_code,
    district_code,
    status,
    reported_at,
    {{ local_date('reported_at') }} as reported_date,
    verified_at,
    dispatched_at,
    handled_at,
    checked_at,
    closed_at,
    handling_unit,
    updated_at
from {{ source('urban_cases', 'urban_cases') }}
