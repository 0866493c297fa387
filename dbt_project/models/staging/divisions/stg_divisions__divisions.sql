-- Every version of every division code (SCD2 from silver.divisions).
select
    code,
    level,
    name,
    parent_code,
    valid_from,
    valid_to,
    is_current
from {{ source('silver_derived', 'divisions') }}
