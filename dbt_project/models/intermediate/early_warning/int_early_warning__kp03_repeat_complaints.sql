-- KP03: one row per caller × topic × episode with at least `threshold` 12345 complaints (投诉)
-- within `window_days`. The caller is identified by the mobile token (the hotline knows callers by
-- phone), by the ID token when a ticket has no phone; person_id is the caller's ID token when any of
-- the caller's tickets names it, else the one current register resident with that mobile token.
with rule as (
    select rule_id, window_days, threshold
    from {{ ref('key_person_alert_rules') }}
    where rule_id = 'KP03'
),

tickets as (
    select
        ticket_id,
        topic,
        accepted_date,
        grid_code,
        community_code,
        caller_person_id,
        caller_mobile_token,
        request_type = '投诉' as is_complaint,
        coalesce(caller_mobile_token, caller_person_id) as caller_token,
        case when caller_mobile_token is not null then 'mobile' else 'id_number' end as caller_token_type
    from {{ ref('stg_hotline__tickets') }}
    where coalesce(caller_mobile_token, caller_person_id) is not null
),

events as (
    select distinct
        t.caller_token as subject_token,
        t.caller_token_type as subject_token_type,
        t.topic,
        t.ticket_id as event_id,
        t.accepted_date as event_date,
        t.grid_code as event_grid_code,
        t.community_code as event_community_code,
        r.window_days,
        r.threshold
    from tickets as t
    cross join rule as r
    where t.is_complaint and t.accepted_date is not null
),

{{ window_episodes('events', ['subject_token', 'subject_token_type', 'topic'],
                   carry=['event_grid_code', 'event_community_code']) }},

named as (
    -- a caller token → the ID token the caller gave on any ticket (one, deterministically)
    select caller_token, min(caller_person_id) as person_id
    from tickets
    where caller_person_id is not null
    group by caller_token
),

register_mobiles as (
    -- a mobile token that belongs to exactly one current resident
    select mobile_token, min(person_id) as person_id
    from {{ ref('stg_civil_affairs__residents') }}
    where is_current and mobile_token is not null
    group by mobile_token
    having count(distinct person_id) = 1
)

select
    'KP03' as rule_id,
    e.subject_token,
    e.subject_token_type,
    coalesce(
        n.person_id,
        case when e.subject_token_type = 'id_number' then e.subject_token end,
        m.person_id
    ) as person_id,
    e.topic,
    e.anchor_event_id,
    e.event_ids,
    e.event_count,
    e.first_seen,
    e.last_seen,
    e.event_grid_code,
    e.event_community_code
from _we_episodes as e
left join named as n on e.subject_token = n.caller_token
left join register_mobiles as m on e.subject_token_type = 'mobile' and e.subject_token = m.mobile_token
