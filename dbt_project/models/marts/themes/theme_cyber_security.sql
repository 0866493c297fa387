-- 网络安全 cyber security: telecom / online fraud reported to the police (category codes in var
-- `telecom_fraud_category_codes`, 0101 电信网络诈骗) with its victims by age band, and public-opinion
-- posts with negative-sentiment spikes by topic. Grain: hierarchy_level × node_code × period ×
-- period_start × breakdown × breakdown_value. Breakdowns: `all`, `victim_age_band` (victims only),
-- `opinion_topic` (posts only). Incidents and victims count where the incident happened (its grid), on
-- the local report day; posts on the local publication day at the district / street they mention
-- (no community or grid). Spike statistics (trailing mean / stddev, z, is_spike) are per district × day
-- × topic and filled on those rows only; `negative_spikes` counts spikes at district and city level.
with incidents as (
    select incident_id, grid_code, community_code, street_code, district_code, reported_date
    from {{ ref('stg_police__incidents') }}
    where category_code in ('{{ var("telecom_fraud_category_codes") | join("', '") }}')
),

victims as (
    select
        i.grid_code,
        i.community_code,
        i.street_code,
        i.district_code,
        i.reported_date,
        {{ age_band('dp.age') }} as age_band
    from {{ ref('stg_police__incident_persons') }} as ip
    inner join incidents as i on i.incident_id = ip.incident_id
    left join {{ ref('dim_person') }} as dp on dp.person_id = ip.person_id
    where ip.role = '受害人'
),

posts as (
    select * from {{ ref('fct_public_opinion_posts') }}
),

spikes as (
    select * from {{ ref('int_public_opinion__negative_spikes') }}
),

events as (
    select
        grid_code, community_code, street_code, district_code, reported_date as event_date,
        'all' as breakdown, 'all' as breakdown_value, 'all' as breakdown_value_en,
        1 as fraud_incident, 0 as fraud_victim, 0 as post, 0 as negative_post, 0 as negative_spike
    from incidents
    union all
    select
        grid_code, community_code, street_code, district_code, reported_date,
        b.breakdown, b.breakdown_value, b.breakdown_value,
        0, 1, 0, 0, 0
    from victims
    lateral view inline(array(
        named_struct('breakdown', 'all', 'breakdown_value', 'all'),
        named_struct('breakdown', 'victim_age_band', 'breakdown_value', age_band)
    )) b
    union all
    select
        cast(null as string), cast(null as string), street_code, district_code, published_date,
        b.breakdown, b.breakdown_value, case b.breakdown when 'all' then 'all' else {{ opinion_topic_en('b.breakdown_value') }} end,
        0, 0, 1, case when is_negative then 1 else 0 end, 0
    from posts
    lateral view inline(array(
        named_struct('breakdown', 'all', 'breakdown_value', 'all'),
        named_struct('breakdown', 'opinion_topic', 'breakdown_value', coalesce(topic, 'unknown'))
    )) b
    union all
    select
        cast(null as string), cast(null as string), cast(null as string), district_code, published_date,
        b.breakdown, b.breakdown_value, case b.breakdown when 'all' then 'all' else {{ opinion_topic_en('b.breakdown_value') }} end,
        0, 0, 0, 0, 1
    from spikes
    lateral view inline(array(
        named_struct('breakdown', 'all', 'breakdown_value', 'all'),
        named_struct('breakdown', 'opinion_topic', 'breakdown_value', topic)
    )) b
    where is_spike
),

periods as (
    select e.*, p.period, p.period_start
    from events as e
    {{ day_and_month('e.event_date') }}
),

rolled as (
    select
        {{ hierarchy_keys(['period', 'period_start', 'breakdown', 'breakdown_value', 'breakdown_value_en']) }},
        sum(fraud_incident) as fraud_incidents,
        sum(fraud_victim) as fraud_victims,
        sum(post) as posts,
        sum(negative_post) as negative_posts,
        sum(negative_spike) as negative_spikes
    from periods
    group by {{ hierarchy_grouping_sets(['period', 'period_start', 'breakdown', 'breakdown_value', 'breakdown_value_en']) }}
),

nodes as (
    select hierarchy_level, node_code, node_name from {{ ref('dim_hierarchy_node') }}
)

select
    r.hierarchy_level,
    r.node_code,
    n.node_name,
    r.period,
    r.period_start,
    case r.period when 'day' then r.period_start else last_day(r.period_start) end as period_end,
    r.breakdown,
    r.breakdown_value,
    r.breakdown_value_en,
    case when r.breakdown = 'all' then r.fraud_incidents end as fraud_incidents,
    case when r.breakdown in ('all', 'victim_age_band') then r.fraud_victims end as fraud_victims,
    -- posts name a district and sometimes a street: no post measures below the street level
    case when r.breakdown in ('all', 'opinion_topic') and r.hierarchy_level in ('city', 'district', 'street')
        then r.posts end as posts,
    case when r.breakdown in ('all', 'opinion_topic') and r.hierarchy_level in ('city', 'district', 'street')
        then r.negative_posts end as negative_posts,
    case when r.breakdown in ('all', 'opinion_topic') and r.hierarchy_level in ('city', 'district')
        then r.negative_spikes end as negative_spikes,
    s.trailing_mean as negative_posts_trailing_mean,
    s.trailing_stddev as negative_posts_trailing_stddev,
    s.z_score as negative_posts_z_score,
    s.is_spike
from rolled as r
left join nodes as n on n.hierarchy_level = r.hierarchy_level and n.node_code = r.node_code
left join spikes as s
    on r.hierarchy_level = 'district' and r.period = 'day' and r.breakdown = 'opinion_topic'
    and s.district_code = r.node_code and s.published_date = r.period_start and s.topic = r.breakdown_value
where r.node_code is not null
