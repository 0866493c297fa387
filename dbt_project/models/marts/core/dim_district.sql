-- One row per version of a district (SCD2 from the division code table).
select
    code as district_code,
    name as district_name,
    parent_code as city_code,
    valid_from,
    valid_to,
    is_current
from {{ ref('stg_divisions__divisions') }}
where level = 'district'
