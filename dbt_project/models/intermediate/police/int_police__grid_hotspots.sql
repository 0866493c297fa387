-- Police incident hotspots: each current grid's incident count in a period, its z-score against the
-- grids of its district in that period (grids without incidents count as 0) and its rank; the top
-- var('hotspot_top_n') grids with a positive z-score are hotspots.
-- Grain: period × period_start × grid_code (every current grid, every period of int_periods).
with periods as (
    select * from {{ ref('int_periods') }}
),

grids as (
    select grid_code, district_code
    from {{ ref('dim_grid') }}
    where is_current
),

counts as (
    select p.period, p.period_start, f.grid_code, count(*) as incidents
    from {{ ref('fct_police_incidents') }} as f
    inner join periods as p on f.reported_date between p.period_start and p.period_end
    group by p.period, p.period_start, f.grid_code
),

base as (
    select
        p.period,
        p.period_start,
        g.district_code,
        g.grid_code,
        coalesce(c.incidents, 0) as incidents
    from periods as p
    cross join grids as g
    left join counts as c
        on c.period = p.period and c.period_start = p.period_start and c.grid_code = g.grid_code
),

scored as (
    select
        *,
        avg(incidents) over w as district_mean,
        stddev_pop(incidents) over w as district_stddev
    from base
    window w as (partition by period, period_start, district_code)
),

ranked as (
    select
        *,
        case when district_stddev > 0 then round((incidents - district_mean) / district_stddev, 4) end as zscore,
        rank() over (partition by period, period_start, district_code order by incidents desc) as rank_in_district
    from scored
)

select
    period,
    period_start,
    district_code,
    grid_code,
    incidents,
    round(district_mean, 4) as district_mean,
    round(district_stddev, 4) as district_stddev,
    zscore,
    rank_in_district,
    coalesce(zscore > 0 and rank_in_district <= {{ var('hotspot_top_n', 5) }}, false) as is_hotspot
from ranked
