-- One row per 12345 ticket (latest version); the caller is a token, the free text stays out.
select
    ticket_id,
    channel,
    request_type,
    topic,
    caller_mobile_token,
    caller_id_number_token as caller_person_id,
    grid_code,
    community_code,
    street_code,
    district_code,
    status,
    accepted_at,
    {{ local_date('accepted_at') }} as accepted_date,
    dispatched_at,
    handled_at,
    replied_at,
    evaluated_at,
    handling_department,
    satisfaction,
    updated_at
from {{ source('hotline_12345', 'tickets') }}
