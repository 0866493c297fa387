-- One row per health event (follow-ups, elderly checks, death registrations); patient is a token.
select
    event_id,
    id_number_token as person_id,
    event_type,
    event_date,
    diagnosis_code,
    result,
    death_date,
    institution_code,
    community_code,
    street_code,
    district_code,
    mobile_token,
    recorded_at
from {{ source('health_events', 'health_events') }}
