-- One row per dispute (latest version); free-text summary and party names stay out.
select
    dispute_id,
    dispute_type,
    level,
    grid_code,
    community_code,
    street_code,
    district_code,
    party_a_id_token as party_a_person_id,
    party_b_id_token as party_b_person_id,
    reported_at,
    {{ local_date('reported_at') }} as reported_date,
    escalations,
    outcome,
    closed_at,
    {{ local_date('closed_at') }} as closed_date,
    mediator_code,
    updated_at
from {{ source('disputes', 'disputes') }}
