-- Headline KPIs of every hierarchy node per day, for the one-map overview (一张图).
-- Grain: date_day × hierarchy_level × node_code. Flows (new incidents, tickets, cases …) count the
-- events of that local business day; stocks (open disputes) are taken at the end of the day.
with days as (
    select date_day from {{ ref('dim_date') }}
),

events as (
    select reported_date as date_day, grid_code, community_code, street_code, district_code,
           1 as police_incidents, cast(is_telecom_fraud as int) as telecom_fraud_incidents,
           0 as hotline_tickets, 0 as hotline_complaints, 0 as hotline_replied_in_time, 0 as hotline_resolved,
           0 as disputes_new, 0 as disputes_resolved, 0 as disputes_open,
           0 as urban_cases_new, 0 as urban_cases_closed, 0 as party_activities, 0 as negative_posts
    from {{ ref('fct_police_incidents') }}
    union all
    select accepted_date, grid_code, community_code, street_code, district_code,
           0, 0, 1, cast(is_complaint as int), cast(coalesce(replied_within_target, false) as int),
           cast(coalesce(is_resolved, false) as int), 0, 0, 0, 0, 0, 0, 0
    from {{ ref('fct_hotline_tickets') }}
    union all
    select reported_date, grid_code, community_code, street_code, district_code,
           0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
    from {{ ref('fct_disputes') }}
    union all
    select closed_date, grid_code, community_code, street_code, district_code,
           0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0
    from {{ ref('fct_disputes') }}
    where is_resolved and closed_date is not null
    union all
    -- open disputes at the end of each day: reported on or before it, not closed by then
    select d.date_day, f.grid_code, f.community_code, f.street_code, f.district_code,
           0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0
    from {{ ref('fct_disputes') }} as f
    inner join days as d
        on f.reported_date <= d.date_day and (f.closed_date is null or f.closed_date > d.date_day)
    union all
    select reported_date, grid_code, community_code, street_code, district_code,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0
    from {{ ref('fct_urban_cases') }}
    union all
    select closed_date, grid_code, community_code, street_code, district_code,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
    from {{ ref('fct_urban_cases') }}
    where is_closed and closed_date is not null
    union all
    select activity_date, cast(null as string), community_code, street_code, district_code,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0
    from {{ ref('fct_party_activities') }}
    union all
    select published_date, cast(null as string), cast(null as string), street_code, district_code,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    from {{ ref('fct_public_opinion_posts') }}
    where is_negative
),

in_range as (
    select e.* from events as e inner join days as d on e.date_day = d.date_day
),

rolled as (
    select
        date_day,
        {{ hierarchy_level() }} as hierarchy_level,
        {{ hierarchy_node() }} as node_code,
        sum(police_incidents) as police_incidents,
        sum(telecom_fraud_incidents) as telecom_fraud_incidents,
        sum(hotline_tickets) as hotline_tickets,
        sum(hotline_complaints) as hotline_complaints,
        sum(hotline_replied_in_time) as hotline_replied_in_time,
        sum(hotline_resolved) as hotline_resolved,
        sum(disputes_new) as disputes_new,
        sum(disputes_resolved) as disputes_resolved,
        sum(disputes_open) as disputes_open,
        sum(urban_cases_new) as urban_cases_new,
        sum(urban_cases_closed) as urban_cases_closed,
        sum(party_activities) as party_activities,
        sum(negative_posts) as negative_posts
    from in_range
    group by {{ hierarchy_grouping_sets(['date_day']) }}
),

measured as (
    select * from rolled where node_code is not null
),

spine as (
    -- every node with residents that day, plus any node with events (a grid without register rows)
    select date_day, hierarchy_level, node_code from {{ ref('int_population__daily') }}
    union
    select date_day, hierarchy_level, node_code from measured
)

select
    s.date_day,
    s.hierarchy_level,
    s.node_code,
    n.node_name,
    n.parent_code,
    coalesce(p.residents, 0) as residents,
    coalesce(m.police_incidents, 0) as police_incidents,
    case when p.residents > 0 then round(coalesce(m.police_incidents, 0) * 10000.0 / p.residents, 3) end
        as police_incidents_per_10k,
    coalesce(m.telecom_fraud_incidents, 0) as telecom_fraud_incidents,
    coalesce(m.hotline_tickets, 0) as hotline_tickets,
    coalesce(m.hotline_complaints, 0) as hotline_complaints,
    case when m.hotline_tickets > 0 then round(m.hotline_replied_in_time / m.hotline_tickets, 4) end
        as hotline_replied_in_time_share,
    case when m.hotline_tickets > 0 then round(m.hotline_resolved / m.hotline_tickets, 4) end
        as hotline_resolved_share,
    coalesce(m.disputes_new, 0) as disputes_new,
    coalesce(m.disputes_resolved, 0) as disputes_resolved,
    coalesce(m.disputes_open, 0) as disputes_open,
    coalesce(m.urban_cases_new, 0) as urban_cases_new,
    coalesce(m.urban_cases_closed, 0) as urban_cases_closed,
    coalesce(m.party_activities, 0) as party_activities,
    coalesce(m.negative_posts, 0) as negative_posts
from spine as s
left join measured as m
    on m.date_day = s.date_day and m.hierarchy_level = s.hierarchy_level and m.node_code = s.node_code
left join {{ ref('int_population__daily') }} as p
    on p.date_day = s.date_day and p.hierarchy_level = s.hierarchy_level and p.node_code = s.node_code
left join {{ ref('dim_hierarchy_node') }} as n
    on n.node_code = s.node_code and n.hierarchy_level = s.hierarchy_level
