-- One row per version of a grid (网格), with its community, street and district. Parents come
-- from the code table's links, never from slicing the code (function-zone grids do not follow it).
select
    g.code as grid_code,
    g.name as grid_name,
    g.parent_code as community_code,
    c.name as community_name,
    c.parent_code as street_code,
    s.name as street_name,
    s.parent_code as district_code,
    d.name as district_name,
    g.valid_from,
    g.valid_to,
    g.is_current
from {{ ref('stg_divisions__divisions') }} as g
left join {{ ref('stg_divisions__divisions') }} as c
    on c.code = g.parent_code and c.level = 'community' and c.is_current
left join {{ ref('stg_divisions__divisions') }} as s
    on s.code = c.parent_code and s.level = 'street' and s.is_current
left join {{ ref('stg_divisions__divisions') }} as d
    on d.code = s.parent_code and d.level = 'district' and d.is_current
where g.level = 'grid'
