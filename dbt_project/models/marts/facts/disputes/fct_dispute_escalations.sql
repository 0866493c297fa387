{{ config(unique_key='escalation_id') }}

-- One row per escalation step of a dispute, parsed from its `escalations` string
-- 'level@yyyy-MM-ddTHH:mm:ss;…' (times are local, Asia/Shanghai). The first entry is the
-- registration at the starting level; every later entry is an escalation from the level before it.
-- Malformed entries are parsed to null (try_*), never fail the build.
with disputes as (
    select dispute_id, escalations, updated_at
    from {{ ref('stg_disputes__disputes') }}
    where escalations is not null
    {{ lookback_filter('updated_at', 'dispute_updated_at', keyword='and') }}
),

entries as (
    select
        d.dispute_id,
        d.updated_at,
        e.pos,
        trim(e.entry) as entry
    from disputes as d
    lateral view posexplode(split(d.escalations, ';')) e as pos, entry
    where trim(e.entry) <> ''
),

parsed as (
    select
        dispute_id,
        updated_at,
        row_number() over (partition by dispute_id order by pos) as entry_seq,
        try_cast(trim(try_element_at(split(entry, '@'), 1)) as int) as level,
        try_to_timestamp(trim(try_element_at(split(entry, '@'), 2)), "yyyy-MM-dd'T'HH:mm:ss") as local_ts
    from entries
),

ordered as (
    select
        dispute_id,
        updated_at,
        entry_seq,
        level,
        local_ts,
        to_utc_timestamp(local_ts, '{{ var("local_tz") }}') as step_at,
        lag(level) over (partition by dispute_id order by entry_seq) as from_level,
        lag(to_utc_timestamp(local_ts, '{{ var("local_tz") }}'))
            over (partition by dispute_id order by entry_seq) as previous_step_at
    from parsed
)

select
    concat(dispute_id, '-', cast(entry_seq - 1 as string)) as escalation_id,
    dispute_id,
    entry_seq - 1 as step_seq,
    from_level,
    level as to_level,
    step_at as escalated_at,
    to_date(local_ts) as escalated_date,
    previous_step_at,
    {{ hours_between('previous_step_at', 'step_at') }} as hours_since_previous,
    updated_at as dispute_updated_at
from ordered
where entry_seq >= 2
