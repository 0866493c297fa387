-- 党建引领 party building: party members per 1,000 residents, organisational-life activities and
-- volunteer service by hierarchy level × period × breakdown. Grain: hierarchy_level × node_code ×
-- period × period_start × breakdown × breakdown_value (levels city → community: party data carry no
-- grid). Breakdowns: `all`, `activity_type` (activities only). Members are a stock counted at the end
-- of the period (the day itself, or the last day of the month the data cover): members in the roll with
-- a status in var `party_active_member_statuses` who had joined by then; residents (the denominator)
-- from int_population__daily on the same day. Activities and volunteer hours are flows over the period.
with days as (
    select date_day, month_start from {{ ref('dim_date') }}
),

-- the last day the data cover in each month: the "period end" of a month
month_ends as (
    select month_start, max(date_day) as month_end_day from days group by month_start
),

members as (
    select
        community_code,
        street_code,
        district_code,
        member_status,
        -- joined before the data start: counted from the first day
        greatest(coalesce(join_date, d.first_day), d.first_day) as counted_from
    from {{ ref('stg_party_building__members') }}
    cross join (select min(date_day) as first_day from days) as d
    where member_status in ('{{ var("party_active_member_statuses") | join("', '") }}')
),

member_joins as (
    select
        community_code, street_code, district_code, counted_from,
        count(*) as members,
        count_if(member_status = '正式党员') as full_members,
        count_if(member_status = '预备党员') as probationary_members
    from members
    group by community_code, street_code, district_code, counted_from
),

member_stock as (
    select
        m.community_code, m.street_code, m.district_code, d.date_day, d.month_start,
        sum(m.members) as members,
        sum(m.full_members) as full_members,
        sum(m.probationary_members) as probationary_members
    from member_joins as m
    inner join days as d on d.date_day >= m.counted_from
    group by m.community_code, m.street_code, m.district_code, d.date_day, d.month_start
),

events as (
    -- members: the day's stock for the day, the month-end stock for the month
    select
        s.community_code, s.street_code, s.district_code, p.period, p.period_start,
        'all' as breakdown, 'all' as breakdown_value, 'all' as breakdown_value_en,
        s.members, s.full_members, s.probationary_members,
        0 as activity, 0 as participants,
        cast(null as string) as volunteer_record_id, cast(null as string) as volunteer_member_id,
        cast(0 as double) as volunteer_hours
    from member_stock as s
    inner join month_ends as me on me.month_start = s.month_start
    lateral view inline(array(
        named_struct('period', 'day', 'period_start', s.date_day, 'keep', true),
        named_struct('period', 'month', 'period_start', s.month_start, 'keep', s.date_day = me.month_end_day)
    )) p
    where p.keep
    union all
    select
        a.community_code, a.street_code, a.district_code, p.period, p.period_start,
        b.breakdown, b.breakdown_value, b.breakdown_value_en,
        0, 0, 0,
        1, coalesce(a.participants, 0),
        cast(null as string), cast(null as string), cast(0 as double)
    from {{ ref('fct_party_activities') }} as a
    lateral view inline(array(
        named_struct('breakdown', 'all', 'breakdown_value', 'all', 'breakdown_value_en', 'all'),
        named_struct('breakdown', 'activity_type', 'breakdown_value', coalesce(a.activity_type, 'unknown'),
                     'breakdown_value_en', coalesce(a.activity_type_en, 'unknown'))
    )) b
    {{ day_and_month('a.activity_date') }}
    union all
    select
        v.community_code, v.street_code, v.district_code, p.period, p.period_start,
        'all', 'all', 'all',
        0, 0, 0,
        0, 0,
        v.record_id, v.member_id, v.hours
    from {{ ref('stg_party_building__volunteer_hours') }} as v
    {{ day_and_month('v.service_date') }}
),

rolled as (
    select
        {{ hierarchy_keys(['period', 'period_start', 'breakdown', 'breakdown_value', 'breakdown_value_en'], 'community') }},
        sum(members) as party_members,
        sum(full_members) as full_members,
        sum(probationary_members) as probationary_members,
        sum(activity) as activities,
        sum(participants) as activity_participants,
        count(volunteer_record_id) as volunteer_records,
        count(distinct volunteer_member_id) as volunteers,
        sum(volunteer_hours) as volunteer_hours
    from events
    group by {{ hierarchy_grouping_sets(['period', 'period_start', 'breakdown', 'breakdown_value', 'breakdown_value_en'], lowest='community') }}
),

with_end as (
    select
        r.*,
        case r.period when 'day' then r.period_start else me.month_end_day end as period_end
    from rolled as r
    left join month_ends as me on r.period = 'month' and me.month_start = r.period_start
    where r.node_code is not null
),

population as (
    select date_day, hierarchy_level, node_code, residents from {{ ref('int_population__daily') }}
),

nodes as (
    select hierarchy_level, node_code, node_name from {{ ref('dim_hierarchy_node') }}
)

select
    w.hierarchy_level,
    w.node_code,
    n.node_name,
    w.period,
    w.period_start,
    w.period_end,
    w.breakdown,
    w.breakdown_value,
    w.breakdown_value_en,
    case when w.breakdown = 'all' then w.party_members end as party_members,
    case when w.breakdown = 'all' then w.full_members end as full_members,
    case when w.breakdown = 'all' then w.probationary_members end as probationary_members,
    case when w.breakdown = 'all' then p.residents end as residents,
    case when w.breakdown = 'all' then round(w.party_members * 1000.0 / nullif(p.residents, 0), 2) end
        as party_members_per_1000_residents,
    w.activities,
    w.activity_participants,
    case when w.breakdown = 'all' then w.volunteer_records end as volunteer_records,
    case when w.breakdown = 'all' then w.volunteers end as volunteers,
    case when w.breakdown = 'all' then round(w.volunteer_hours, 2) end as volunteer_hours
from with_end as w
left join nodes as n on n.hierarchy_level = w.hierarchy_level and n.node_code = w.node_code
left join population as p
    on p.hierarchy_level = w.hierarchy_level and p.node_code = w.node_code and p.date_day = w.period_end
