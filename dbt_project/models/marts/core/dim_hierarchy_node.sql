-- One row per current node of the 5-level hierarchy (city, district, street, community, grid):
-- the lookup every theme uses to name its nodes and find their parents.
with current_divisions as (
    select * from {{ ref('stg_divisions__divisions') }} where is_current
)

select
    'city' as hierarchy_level,
    '{{ var("city_code") }}' as node_code,
    '{{ var("city_name") }}' as node_name,
    cast(null as string) as parent_code
union all
select level as hierarchy_level, code as node_code, name as node_name, parent_code
from current_divisions
