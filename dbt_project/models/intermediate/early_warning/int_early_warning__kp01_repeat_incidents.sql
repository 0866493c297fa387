-- KP01: one row per person × episode in which the person appears in at least `threshold` police
-- incidents within `window_days` (rule parameters from the key_person_alert_rules seed).
with rule as (
    select rule_id, window_days, threshold
    from {{ ref('key_person_alert_rules') }}
    where rule_id = 'KP01'
),

events as (
    select distinct
        p.person_id as subject_token,
        p.incident_id as event_id,
        p.reported_date as event_date,
        p.community_code as event_community_code,
        r.window_days,
        r.threshold
    from {{ ref('stg_police__incident_persons') }} as p
    cross join rule as r
    where p.person_id is not null and p.reported_date is not null
),

{{ window_episodes('events', ['subject_token'], carry=['event_community_code']) }}

select
    'KP01' as rule_id,
    subject_token,
    'id_number' as subject_token_type,
    subject_token as person_id,
    cast(null as string) as topic,
    anchor_event_id,
    event_ids,
    event_count,
    first_seen,
    last_seen,
    cast(null as string) as event_grid_code,
    event_community_code
from _we_episodes
