-- One row per assistance payment; the recipient is a token.
select
    payment_id,
    id_number_token as person_id,
    assistance_type,
    amount,
    period,
    pay_date,
    community_code,
    street_code,
    district_code,
    _delivery_id as delivery_id
from {{ source('civil_affairs_assistance', 'assistance_payments') }}
