-- Population portrait of every community, as of the last register snapshot of each month.
-- Grain: community_code × period_start (month) × measure × age_band × sex (a tidy table: one
-- published value per row). Any count below var('min_cell_size') (5) is suppressed: value null,
-- is_suppressed true — small cells could single out a person.
with register_days as (
    select trunc(snapshot_date, 'MM') as period_start, max(snapshot_date) as as_of_date
    from {{ ref('stg_civil_affairs__residents') }}
    group by 1
),

people as (
    -- the register version valid on each month's as-of day
    select
        d.period_start,
        d.as_of_date,
        r.person_id,
        r.community_code,
        r.household_id,
        r.sex,
        r.registration_type,
        {{ age_band(age_at('r.birth_date', 'd.as_of_date')) }} as age_band,
        {{ age_at('r.birth_date', 'd.as_of_date') }} >= 60 as is_elderly,
        coalesce(r.special_groups, '') as special_groups,
        coalesce(r.is_party_member, false) as is_party_member
    from {{ ref('stg_civil_affairs__residents') }} as r
    inner join register_days as d
        on r.valid_from <= d.as_of_date and (r.valid_to is null or r.valid_to > d.as_of_date)
    where r.community_code is not null
),

by_age_sex as (
    select
        period_start, as_of_date, community_code,
        'residents' as measure, age_band, sex,
        count(distinct person_id) as raw_count
    from people
    group by period_start, as_of_date, community_code, age_band, sex
),

totals as (
    select
        period_start, as_of_date, community_code,
        stack(11,
            'residents', count(distinct person_id),
            'registered', count(distinct case when registration_type = '户籍人口' then person_id end),
            'floating', count(distinct case when registration_type = '流动人口' then person_id end),
            'households', count(distinct household_id),
            'elderly_living_alone', count(distinct case when special_groups like '%独居老人%' then person_id end),
            'empty_nest_elderly', count(distinct case when special_groups like '%空巢老人%' then person_id end),
            'left_behind_children', count(distinct case when special_groups like '%留守儿童%' then person_id end),
            'disabled', count(distinct case when special_groups like '%残疾人%' then person_id end),
            'subsistence_recipients', count(distinct case when special_groups like '%低保对象%' then person_id end),
            'party_members', count(distinct case when is_party_member then person_id end),
            'elderly_60_plus', count(distinct case when is_elderly then person_id end)
        ) as (measure, raw_count)
    from people
    group by period_start, as_of_date, community_code
),

cells as (
    select period_start, as_of_date, community_code, measure, age_band, sex, raw_count from by_age_sex
    union all
    select period_start, as_of_date, community_code, measure, 'all' as age_band, 'all' as sex, raw_count from totals
)

select
    c.community_code,
    dc.community_name,
    dc.street_code,
    dc.district_code,
    c.period_start,
    c.as_of_date,
    c.measure,
    c.age_band,
    c.sex,
    {{ suppress_small('c.raw_count') }} as value,
    c.raw_count < {{ var('min_cell_size') }} as is_suppressed
from cells as c
left join {{ ref('dim_community') }} as dc
    on dc.community_code = c.community_code and dc.is_current
