-- One row per calendar day the data covers (from the earliest to the latest business date any
-- feed carries): no clock is read, so a rerun on the same data gives the same table.
with bounds as (
    select min(d) as first_day, max(d) as last_day
    from (
        select min(snapshot_date) as d from {{ ref('stg_civil_affairs__residents') }}
        union all select max(snapshot_date) from {{ ref('stg_civil_affairs__residents') }}
        union all select min(reported_date) from {{ ref('stg_police__incidents') }}
        union all select max(reported_date) from {{ ref('stg_police__incidents') }}
        union all select min(accepted_date) from {{ ref('stg_hotline__tickets') }}
        union all select max(accepted_date) from {{ ref('stg_hotline__tickets') }}
        union all select min(reported_date) from {{ ref('stg_disputes__disputes') }}
        union all select max(reported_date) from {{ ref('stg_disputes__disputes') }}
    )
),

days as (
    select explode(sequence(first_day, last_day, interval 1 day)) as date_day from bounds
)

select
    date_day,
    cast(date_format(date_day, 'yyyyMMdd') as int) as date_key,
    trunc(date_day, 'MM') as month_start,
    last_day(date_day) as month_end,
    year(date_day) as year,
    month(date_day) as month,
    dayofmonth(date_day) as day_of_month,
    dayofweek(date_day) as day_of_week,
    dayofweek(date_day) in (1, 7) as is_weekend
from days
