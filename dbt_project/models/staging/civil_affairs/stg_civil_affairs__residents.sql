-- One row per resident version (SCD2 kept by silver from the daily register snapshots).
-- Tokens only: names, ID numbers, mobiles and addresses never reach silver.
select
    id_number_token as person_id,
    sex,
    birth_date,
    ethnicity,
    mobile_token,
    household_id,
    relation_to_head,
    registration_type,
    grid_code,
    community_code,
    street_code,
    district_code,
    special_groups,
    cast(is_party_member as boolean) as is_party_member,
    valid_from,
    valid_to,
    is_current,
    snapshot_date
from {{ source('civil_affairs_residents', 'residents') }}
