select
    record_id,
    member_id,
    community_code,
    street_code,
    district_code,
    service_date,
    hours
from {{ source('party_building', 'volunteer_hours') }}
