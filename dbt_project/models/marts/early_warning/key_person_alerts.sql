-- Key-person early-warning alerts (重点人员预警). Grain: one row per rule × subject × episode
-- (rule parameters: seed key_person_alert_rules). alert_id hashes rule, subject token and the
-- episode's anchor event, so an alert keeps its id when rerun on the same or on appended data.
-- Hierarchy codes: where the person lives by the resident register (dim_person), else where the
-- latest event behind the alert happened. Tokens and codes only.
with candidates as (
    select * from {{ ref('int_early_warning__kp01_repeat_incidents') }}
    union all
    select * from {{ ref('int_early_warning__kp02_mental_health_unfollowed') }}
    union all
    select * from {{ ref('int_early_warning__kp03_repeat_complaints') }}
    union all
    select * from {{ ref('int_early_warning__kp04_level4_disputes') }}
),

rules as (
    select rule_id, score from {{ ref('key_person_alert_rules') }}
),

people as (
    select person_id, grid_code, community_code, street_code, district_code
    from {{ ref('dim_person') }}
),

communities as (
    select community_code, street_code, district_code
    from {{ ref('dim_community') }}
    where is_current
)

select
    sha2(concat_ws('|', c.rule_id, c.subject_token, c.anchor_event_id), 256) as alert_id,
    c.rule_id,
    c.person_id,
    c.subject_token,
    c.subject_token_type,
    c.topic,
    r.score,
    c.anchor_event_id,
    c.event_ids,
    c.event_count,
    c.first_seen,
    c.last_seen,
    case when p.person_id is not null then p.grid_code else c.event_grid_code end as grid_code,
    case when p.person_id is not null then p.community_code else c.event_community_code end as community_code,
    case when p.person_id is not null then p.street_code else k.street_code end as street_code,
    case when p.person_id is not null then p.district_code else k.district_code end as district_code,
    case when p.person_id is not null then 'register' else 'event' end as hierarchy_source
from candidates as c
inner join rules as r on c.rule_id = r.rule_id
left join people as p on c.person_id = p.person_id
left join communities as k on c.event_community_code = k.community_code
