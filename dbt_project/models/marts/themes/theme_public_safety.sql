-- 公共安全 public safety at every level of the hierarchy, by day and by month, one row per indicator:
--   emergency_cases               urban-management event cases of class '突发事件' reported in the period
--   police_incidents              police incidents reported in the period, by public-safety class (+ 'all')
--   smd_followup_overdue          severe-mental-disorder patients overdue for follow-up at the period end
--   elderly_alone_without_check   elderly living alone without a health check in the window
-- (the two care gaps come from int_health__care_gaps: value = people with the gap, population = people
-- in the group, share = value / population).
-- Grain: hierarchy_level × node_code × period × period_start × indicator × indicator_class.
with periods as (
    select * from {{ ref('int_periods') }}
),

emergencies as (
    select
        p.period, p.period_start, p.period_end,
        u.grid_code, u.community_code, u.street_code, u.district_code,
        'emergency_cases' as indicator,
        'all' as indicator_class,
        1 as counted,
        cast(null as int) as in_population
    from {{ ref('stg_urban__cases') }} as u
    inner join periods as p on u.reported_date between p.period_start and p.period_end
    where u.case_class = '突发事件'
),

incidents as (
    select
        p.period, p.period_start, p.period_end,
        f.grid_code, f.community_code, f.street_code, f.district_code,
        'police_incidents' as indicator,
        c.indicator_class,
        1 as counted,
        cast(null as int) as in_population
    from {{ ref('fct_police_incidents') }} as f
    inner join periods as p on f.reported_date between p.period_start and p.period_end
    lateral view explode(array('all', f.safety_class)) c as indicator_class
),

smd as (
    select
        period, period_start, period_end,
        grid_code, community_code, street_code, district_code,
        'smd_followup_overdue' as indicator,
        'all' as indicator_class,
        cast(is_smd_followup_overdue as int) as counted,
        1 as in_population
    from {{ ref('int_health__care_gaps') }}
    where is_severe_mental_disorder
),

elderly as (
    select
        period, period_start, period_end,
        grid_code, community_code, street_code, district_code,
        'elderly_alone_without_check' as indicator,
        'all' as indicator_class,
        cast(is_elderly_check_missing as int) as counted,
        1 as in_population
    from {{ ref('int_health__care_gaps') }}
    where is_elderly_living_alone
),

all_rows as (
    select * from emergencies
    union all select * from incidents
    union all select * from smd
    union all select * from elderly
),

rolled as (
    select
        {{ hierarchy_keys(['period', 'period_start', 'period_end', 'indicator', 'indicator_class']) }},
        sum(counted) as value,
        sum(in_population) as population
    from all_rows
    group by {{ hierarchy_grouping_sets(['period', 'period_start', 'period_end', 'indicator', 'indicator_class']) }}
),

classes as (
    select distinct safety_class, safety_class_zh, safety_class_en
    from {{ ref('police_incident_categories') }}
)

select
    r.hierarchy_level,
    r.node_code,
    h.node_name,
    r.period,
    r.period_start,
    r.period_end,
    r.indicator,
    case r.indicator
        when 'emergency_cases' then '突发事件'
        when 'police_incidents' then '警情'
        when 'smd_followup_overdue' then '严重精神障碍患者随访逾期'
        when 'elderly_alone_without_check' then '独居老人未体检'
    end as indicator_zh,
    r.indicator_class,
    case when r.indicator_class = 'all' then '全部' else c.safety_class_zh end as indicator_class_zh,
    case when r.indicator_class = 'all' then 'all' else c.safety_class_en end as indicator_class_en,
    cast(r.value as bigint) as value,
    cast(r.population as bigint) as population,
    round(r.value * 1.0 / nullif(r.population, 0), 4) as share
from rolled as r
left join {{ ref('dim_hierarchy_node') }} as h
    on h.hierarchy_level = r.hierarchy_level and h.node_code = r.node_code
left join classes as c
    on r.indicator = 'police_incidents' and c.safety_class = r.indicator_class
where r.node_code is not null
