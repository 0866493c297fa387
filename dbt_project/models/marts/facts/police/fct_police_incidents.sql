{{ config(unique_key='incident_id') }}

-- One row per police incident (latest version), with its category labels, the time to dispatch,
-- arrival and closing, and how many persons (and victims) it names. Incremental: rows updated in
-- the last `incremental_lookback_days` before the newest update already merged are merged again
-- (idempotent: the same source rows give the same target rows).
with incidents as (
    select * from {{ ref('stg_police__incidents') }}
    {{ lookback_filter('updated_at') }}
),

persons as (
    select
        incident_id,
        count(*) as persons_count,
        count_if(role = '受害人') as victims_count
    from {{ ref('stg_police__incident_persons') }}
    group by incident_id
),

categories as (
    select * from {{ ref('police_incident_categories') }}
)

select
    i.incident_id,
    i.category_code,
    c.category_zh,
    c.category_en,
    c.safety_class,
    coalesce(c.is_telecom_fraud, false) as is_telecom_fraud,
    i.status,
    i.status = '已办结' as is_closed,
    i.grid_code,
    i.community_code,
    i.street_code,
    i.district_code,
    i.police_station,
    i.reported_at,
    i.reported_date,
    i.dispatched_at,
    i.arrived_at,
    i.closed_at,
    {{ local_date('i.closed_at') }} as closed_date,
    round((unix_timestamp(i.dispatched_at) - unix_timestamp(i.reported_at)) / 60.0, 1) as dispatch_minutes,
    round((unix_timestamp(i.arrived_at) - unix_timestamp(i.reported_at)) / 60.0, 1) as arrival_minutes,
    round((unix_timestamp(i.closed_at) - unix_timestamp(i.reported_at)) / 60.0, 1) as close_minutes,
    coalesce(p.persons_count, 0) as persons_count,
    coalesce(p.victims_count, 0) as victims_count,
    i.updated_at
from incidents as i
left join persons as p on p.incident_id = i.incident_id
left join categories as c on c.category_code = i.category_code
