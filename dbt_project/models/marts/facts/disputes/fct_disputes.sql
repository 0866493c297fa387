{{ config(unique_key='dispute_id') }}

-- One row per dispute (latest version): type and current level with labels, outcome, dwell time
-- from registration to closing, escalation count and the parties' tokens (plus an order-free pair
-- key for repeat disputes). Incremental: disputes updated in the last `incremental_lookback_days`
-- before the newest update already merged are merged again.
with disputes as (
    select * from {{ ref('stg_disputes__disputes') }}
    {{ lookback_filter('updated_at') }}
),

shaped as (
    select
        *,
        greatest(
            coalesce(size(filter(split(escalations, ';'), x -> trim(x) <> '')), 0) - 1, 0
        ) as escalation_count,
        outcome <> '化解中' and closed_at is not null as is_closed,
        outcome = '调解成功' as is_resolved,
        round((unix_timestamp(closed_at) - unix_timestamp(reported_at)) / 86400.0, 2) as dwell_days
    from disputes
)

select
    s.dispute_id,
    s.dispute_type,
    t.dispute_type_en,
    s.level as current_level,
    l.level_zh as current_level_zh,
    l.level_en as current_level_en,
    s.grid_code,
    s.community_code,
    s.street_code,
    s.district_code,
    s.party_a_person_id,
    s.party_b_person_id,
    case
        when s.party_a_person_id is not null and s.party_b_person_id is not null
            then concat(least(s.party_a_person_id, s.party_b_person_id), '|',
                greatest(s.party_a_person_id, s.party_b_person_id))
    end as party_pair_key,
    s.reported_at,
    s.reported_date,
    s.closed_at,
    s.closed_date,
    s.outcome,
    s.is_closed,
    s.is_resolved,
    s.dwell_days,
    coalesce(s.is_resolved and s.dwell_days <= 30, false) as is_resolved_within_30d,
    s.escalation_count,
    s.escalation_count > 0 as is_escalated,
    s.mediator_code,
    s.updated_at
from shaped as s
left join {{ ref('dispute_types') }} as t on t.dispute_type = s.dispute_type
left join {{ ref('dispute_levels') }} as l on l.level = s.level
