{{ config(unique_key='event_id') }}

-- One row per primary-care health event (follow-ups, elderly health checks, death registrations).
-- The patient is a token (person_id); diagnosis code, mobile and names stay out. Incremental: events
-- recorded in the last `incremental_lookback_days` before the newest one already merged are merged again.
select
    event_id,
    person_id,
    event_type,
    event_date,
    result,
    death_date,
    institution_code,
    community_code,
    street_code,
    district_code,
    recorded_at,
    {{ local_date('recorded_at') }} as recorded_date
from {{ ref('stg_health__events') }}
{{ lookback_filter('recorded_at') }}
