select
    member_id,
    id_number_token as person_id,
    branch_code,
    branch_name,
    community_code,
    street_code,
    district_code,
    join_date,
    member_status
from {{ source('party_building', 'party_members') }}
