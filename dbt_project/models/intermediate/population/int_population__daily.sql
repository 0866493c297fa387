{{ config(materialized="table") }}

-- Residents in the register on each day, at every level of the hierarchy: the denominator of
-- every "per 1,000 / per 10,000 residents" rate. Grain: date_day × hierarchy_level × node_code.
with days as (
    select date_day from {{ ref('dim_date') }}
),

versions as (
    select person_id, grid_code, community_code, street_code, district_code, valid_from, valid_to
    from {{ ref('stg_civil_affairs__residents') }}
),

present as (
    select d.date_day, v.*
    from versions as v
    inner join days as d
        on d.date_day >= v.valid_from and (v.valid_to is null or d.date_day < v.valid_to)
),

rolled as (
    select
    date_day,
    {{ hierarchy_level() }} as hierarchy_level,
    {{ hierarchy_node() }} as node_code,
    count(distinct person_id) as residents
from present
group by {{ hierarchy_grouping_sets(['date_day']) }}
)

select * from rolled where node_code is not null
