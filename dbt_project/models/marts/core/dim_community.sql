-- One row per version of a community (社区/村), with its street and district.
select
    c.code as community_code,
    c.name as community_name,
    c.parent_code as street_code,
    s.name as street_name,
    s.parent_code as district_code,
    d.name as district_name,
    c.valid_from,
    c.valid_to,
    c.is_current
from {{ ref('stg_divisions__divisions') }} as c
left join {{ ref('stg_divisions__divisions') }} as s
    on s.code = c.parent_code and s.level = 'street' and s.is_current
left join {{ ref('stg_divisions__divisions') }} as d
    on d.code = s.parent_code and d.level = 'district' and d.is_current
where c.level = 'community'
