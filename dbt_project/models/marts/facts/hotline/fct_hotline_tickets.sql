{{ config(unique_key='ticket_id') }}

-- One row per 12345 ticket (latest version): place codes, channel, type and topic with labels, the
-- lifecycle times and durations, the reply target, resolution, satisfaction and the repeat-complaint
-- flag. Caller as tokens only; the request text stays out.
-- Every column is derived from the full staging view (the repeat flag looks 30 days back), and only
-- new or changed rows are merged (macro new_or_changed_rows): a rerun on the same data changes nothing.
with tickets as (
    select * from {{ ref('stg_hotline__tickets') }}
),

request_types as (
    select * from {{ ref('hotline_request_types') }}
),

topics as (
    select * from {{ ref('hotline_topics') }}
),

enriched as (
    select
        t.*,
        rt.request_type_en,
        coalesce(rt.is_complaint, t.request_type = '投诉') as is_complaint,
        tp.topic_en,
        coalesce(tp.target_reply_hours, {{ var('hotline_default_target_reply_hours') }}) as target_reply_hours,
        unix_timestamp(t.accepted_at) as accepted_epoch
    from tickets as t
    left join request_types as rt on rt.request_type = t.request_type
    left join topics as tp on tp.topic = t.topic
),

-- earlier complaints by the same caller on the same topic within the window, once per caller token
-- (mobile token: nearly always present; ID token: named requests only); a tie in the same second
-- is not "earlier"
repeats as (
    select
        *,
        sum(case when is_complaint then 1 else 0 end) over (
            partition by topic, caller_mobile_token order by accepted_epoch
            range between {{ var('repeat_complaint_window_days') * 86400 }} preceding and 1 preceding
        ) as earlier_complaints_by_mobile,
        sum(case when is_complaint then 1 else 0 end) over (
            partition by topic, caller_person_id order by accepted_epoch
            range between {{ var('repeat_complaint_window_days') * 86400 }} preceding and 1 preceding
        ) as earlier_complaints_by_person
    from enriched
),

final as (
    select
        ticket_id,
        channel,
        request_type,
        request_type_en,
        is_complaint,
        topic,
        topic_en,
        status,
        caller_mobile_token,
        caller_person_id,
        grid_code,
        community_code,
        street_code,
        district_code,
        handling_department,
        accepted_at,
        accepted_date,
        dispatched_at,
        handled_at,
        replied_at,
        evaluated_at,
        {{ hours_between('accepted_at', 'dispatched_at') }} as accept_to_dispatch_hours,
        {{ hours_between('accepted_at', 'handled_at') }} as accept_to_handled_hours,
        {{ hours_between('accepted_at', 'replied_at') }} as accept_to_reply_hours,
        target_reply_hours,
        case
            when replied_at is not null
                then {{ hours_between('accepted_at', 'replied_at') }} <= target_reply_hours
            -- not replied yet, but a later step already lies past the target: missed for sure
            when {{ hours_between('accepted_at', 'greatest(dispatched_at, handled_at, evaluated_at)') }}
                > target_reply_hours then false
        end as replied_within_target,
        status in ('已办结', '已回复', '已评价') as is_resolved,
        satisfaction,
        case satisfaction when '满意' then 3 when '基本满意' then 2 when '不满意' then 1 end as satisfaction_score,
        is_complaint and (
            (caller_mobile_token is not null and coalesce(earlier_complaints_by_mobile, 0) > 0)
            or (caller_person_id is not null and coalesce(earlier_complaints_by_person, 0) > 0)
        ) as is_repeat_complaint,
        updated_at
    from repeats
)

{{ new_or_changed_rows('final', 'ticket_id') }}
