-- One row per version of a street (街道/乡镇), with its district as of that version.
select
    s.code as street_code,
    s.name as street_name,
    s.parent_code as district_code,
    d.name as district_name,
    s.valid_from,
    s.valid_to,
    s.is_current
from {{ ref('stg_divisions__divisions') }} as s
left join {{ ref('stg_divisions__divisions') }} as d
    on d.code = s.parent_code and d.level = 'district' and d.is_current
where s.level = 'street'
