-- 社会治安 public order: police incidents per 10,000 residents by category at every level of the
-- hierarchy, by day and by month, with the change against the previous period and the hotspot grids
-- (z-score of grid incident counts within their district, int_police__grid_hotspots).
-- Grain: hierarchy_level × node_code × period × period_start × category_code ('all' = every category).
-- Nodes without incidents in a period have no row.
with periods as (
    select * from {{ ref('int_periods') }}
),

coverage as (
    select min(date_day) as first_day from {{ ref('dim_date') }}
),

incidents as (
    select
        p.period,
        p.period_start,
        p.period_end,
        f.grid_code,
        f.community_code,
        f.street_code,
        f.district_code,
        b.category_code
    from {{ ref('fct_police_incidents') }} as f
    inner join periods as p on f.reported_date between p.period_start and p.period_end
    lateral view explode(array('all', f.category_code)) b as category_code
),

rolled as (
    select
        {{ hierarchy_keys(['period', 'period_start', 'period_end', 'category_code']) }},
        count(*) as incidents
    from incidents
    group by {{ hierarchy_grouping_sets(['period', 'period_start', 'period_end', 'category_code']) }}
),

nodes as (
    select * from rolled where node_code is not null
),

compared as (
    select
        n.*,
        case when n.period = 'day' then date_sub(n.period_start, 1)
            else add_months(n.period_start, -1) end as previous_period_start
    from nodes as n
)

select
    c.hierarchy_level,
    c.node_code,
    h.node_name,
    c.period,
    c.period_start,
    c.period_end,
    c.category_code,
    case when c.category_code = 'all' then '全部' else cat.category_zh end as category_zh,
    case when c.category_code = 'all' then 'all' else cat.category_en end as category_en,
    c.incidents,
    pop.residents,
    round(c.incidents * 10000.0 / nullif(pop.residents, 0), 2) as incidents_per_10k,
    case when c.previous_period_start >= cov.first_day then coalesce(prev.incidents, 0) end
        as previous_period_incidents,
    case when c.previous_period_start >= cov.first_day then c.incidents - coalesce(prev.incidents, 0) end
        as change_vs_previous,
    case when c.previous_period_start >= cov.first_day and prev.incidents > 0
            then round((c.incidents - prev.incidents) * 1.0 / prev.incidents, 4) end
        as change_vs_previous_pct,
    hs.zscore as grid_zscore,
    hs.rank_in_district as grid_rank_in_district,
    coalesce(hs.is_hotspot, false) as is_hotspot
from compared as c
cross join coverage as cov
left join nodes as prev
    on prev.hierarchy_level = c.hierarchy_level
    and prev.node_code = c.node_code
    and prev.period = c.period
    and prev.category_code = c.category_code
    and prev.period_start = c.previous_period_start
left join {{ ref('dim_hierarchy_node') }} as h
    on h.hierarchy_level = c.hierarchy_level and h.node_code = c.node_code
left join {{ ref('police_incident_categories') }} as cat
    on cat.category_code = c.category_code
left join {{ ref('int_population__daily') }} as pop
    on pop.hierarchy_level = c.hierarchy_level and pop.node_code = c.node_code and pop.date_day = c.period_end
left join {{ ref('int_police__grid_hotspots') }} as hs
    on c.hierarchy_level = 'grid'
    and c.category_code = 'all'
    and hs.grid_code = c.node_code
    and hs.period = c.period
    and hs.period_start = c.period_start
