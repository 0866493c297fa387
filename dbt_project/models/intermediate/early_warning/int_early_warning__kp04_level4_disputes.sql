-- KP04: one row per dispute that reached level `threshold` (4, the highest) × party (A and B).
-- first_seen is the day the dispute was reported, last_seen the day it reached level 4 (from the
-- escalation trail "level@local time;…", else the dispute's last update).
with rule as (
    select rule_id, threshold
    from {{ ref('key_person_alert_rules') }}
    where rule_id = 'KP04'
),

escalated as (
    select
        d.dispute_id,
        d.reported_date,
        d.grid_code,
        d.community_code,
        d.party_a_person_id,
        d.party_b_person_id,
        coalesce(
            to_date(nullif(regexp_extract(
                d.escalations, concat('(^|;)', cast(r.threshold as string), '@([0-9]{4}-[0-9]{2}-[0-9]{2})'), 2
            ), '')),
            {{ local_date('d.updated_at') }}
        ) as escalated_date
    from {{ ref('stg_disputes__disputes') }} as d
    cross join rule as r
    where d.level >= r.threshold
),

parties as (
    select dispute_id, reported_date, escalated_date, grid_code, community_code, party_a_person_id as person_id
    from escalated
    union
    select dispute_id, reported_date, escalated_date, grid_code, community_code, party_b_person_id as person_id
    from escalated
)

select
    'KP04' as rule_id,
    person_id as subject_token,
    'id_number' as subject_token_type,
    person_id,
    cast(null as string) as topic,
    dispute_id as anchor_event_id,
    array(dispute_id) as event_ids,
    cast(1 as bigint) as event_count,
    reported_date as first_seen,
    greatest(reported_date, escalated_date) as last_seen,
    grid_code as event_grid_code,
    community_code as event_community_code
from parties
where person_id is not null
