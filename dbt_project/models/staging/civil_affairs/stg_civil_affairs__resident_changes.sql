-- Day-to-day differences of the resident register (new / changed / gone), from silver.
select
    id_number_token as person_id,
    change_type,
    snapshot_date,
    changed_columns
from {{ source('silver_derived', 'residents_changes') }}
