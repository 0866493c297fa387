-- KP02: one row per severe-mental-disorder patient × episode of police incidents / disputes (as a
-- party) on days with no 严重精神障碍随访 follow-up in the `no_followup_days` up to that day;
-- such events closer than `window_days` form one episode.
with rule as (
    select rule_id, window_days, threshold, no_followup_days
    from {{ ref('key_person_alert_rules') }}
    where rule_id = 'KP02'
),

patients as (
    select person_id
    from {{ ref('dim_person') }}
    where is_severe_mental_disorder
),

follow_ups as (
    select distinct person_id, event_date
    from {{ ref('stg_health__events') }}
    where event_type = '严重精神障碍随访' and person_id is not null and event_date is not null
),

disputes as (
    select dispute_id, reported_date, grid_code, community_code, party_a_person_id, party_b_person_id
    from {{ ref('stg_disputes__disputes') }}
),

triggers as (
    select
        person_id,
        incident_id as event_id,
        reported_date as event_date,
        cast(null as string) as event_grid_code,
        community_code as event_community_code
    from {{ ref('stg_police__incident_persons') }}
    union all
    select party_a_person_id, dispute_id, reported_date, grid_code, community_code
    from disputes
    union all
    select party_b_person_id, dispute_id, reported_date, grid_code, community_code
    from disputes
),

patient_triggers as (
    select distinct
        t.person_id as subject_token,
        t.event_id,
        t.event_date,
        t.event_grid_code,
        t.event_community_code,
        r.window_days,
        r.threshold,
        r.no_followup_days
    from triggers as t
    inner join patients as p on t.person_id = p.person_id
    cross join rule as r
    where t.event_date is not null
),

events as (
    select t.*
    from patient_triggers as t
    left anti join follow_ups as f
        on f.person_id = t.subject_token
        and f.event_date <= t.event_date
        and f.event_date > date_sub(t.event_date, cast(t.no_followup_days as int))
),

{{ window_episodes('events', ['subject_token'], carry=['event_grid_code', 'event_community_code']) }}

select
    'KP02' as rule_id,
    subject_token,
    'id_number' as subject_token_type,
    subject_token as person_id,
    cast(null as string) as topic,
    anchor_event_id,
    event_ids,
    event_count,
    first_seen,
    last_seen,
    event_grid_code,
    event_community_code
from _we_episodes
