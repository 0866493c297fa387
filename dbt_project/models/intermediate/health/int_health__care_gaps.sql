-- Care gaps at the end of each period: severe-mental-disorder patients without a '严重精神障碍随访'
-- follow-up within var('smd_followup_window_days') days before the period end (overdue), and elderly
-- living alone without a '老年人体检' health check in the var('elderly_check_window_months') months
-- before it. People: dim_person in the register, not registered dead by the period end.
-- Grain: period × period_start × person_id (patients and elderly living alone only).
with periods as (
    select * from {{ ref('int_periods') }}
),

people as (
    select
        person_id,
        grid_code,
        community_code,
        street_code,
        district_code,
        is_severe_mental_disorder,
        is_elderly_living_alone
    from {{ ref('dim_person') }}
    where is_in_register and (is_severe_mental_disorder or is_elderly_living_alone)
),

events as (
    select person_id, event_type, event_date, death_date
    from {{ ref('fct_health_events') }}
    where event_type in ('严重精神障碍随访', '老年人体检', '死亡登记')
),

history as (
    select
        p.period,
        p.period_start,
        p.period_end,
        pe.person_id,
        max(case when e.event_type = '严重精神障碍随访' then e.event_date end) as last_smd_followup_date,
        max(case when e.event_type = '老年人体检' then e.event_date end) as last_elderly_check_date,
        min(case when e.event_type = '死亡登记' then coalesce(e.death_date, e.event_date) end) as death_date
    from periods as p
    cross join people as pe
    left join events as e
        on e.person_id = pe.person_id and e.event_date <= p.period_end
    group by p.period, p.period_start, p.period_end, pe.person_id
)

select
    h.period,
    h.period_start,
    h.period_end,
    h.person_id,
    pe.grid_code,
    pe.community_code,
    pe.street_code,
    pe.district_code,
    pe.is_severe_mental_disorder,
    pe.is_elderly_living_alone,
    h.last_smd_followup_date,
    pe.is_severe_mental_disorder and (
        h.last_smd_followup_date is null
        or h.last_smd_followup_date < date_sub(h.period_end, {{ var('smd_followup_window_days', 90) }})
    ) as is_smd_followup_overdue,
    h.last_elderly_check_date,
    pe.is_elderly_living_alone and (
        h.last_elderly_check_date is null
        or h.last_elderly_check_date <= add_months(h.period_end, -{{ var('elderly_check_window_months', 12) }})
    ) as is_elderly_check_missing
from history as h
inner join people as pe on pe.person_id = h.person_id
where h.death_date is null or h.death_date > h.period_end
