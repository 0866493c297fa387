select
    activity_id,
    branch_code,
    community_code,
    street_code,
    district_code,
    activity_type,
    activity_date,
    participants
from {{ source('party_building', 'party_activities') }}
