-- Multi-source reconciliation findings (多源比对主动发现) with the stewards' latest decision.
-- Grain: one row per finding (finding_type × person × differing values). The status is never
-- written here: stewards append decisions to ops.finding_decisions (`govlake findings decide`),
-- this model joins the latest one (default 'open'), so a rerun keeps every decision.
-- (The project's on-run-start hook only creates the empty decisions table when it is missing, with
-- the schema the CLI uses; rows are appended by the CLI alone.)
with candidates as (
    select * from {{ ref('int_reconciliation__candidates') }}
),

decisions as (
    select
        finding_id,
        status,
        decided_by,
        decided_at,
        note,
        row_number() over (
            partition by finding_id order by decided_at desc, decided_by desc, status desc
        ) as rn
    from {{ source('ops', 'finding_decisions') }}
    where status in ('open', 'confirmed', 'dismissed')
),

people as (
    select person_id, grid_code, community_code, street_code, district_code
    from {{ ref('dim_person') }}
)

select
    c.finding_id,
    c.finding_type,
    c.person_id,
    c.owning_department,
    c.evidence_department,
    c.observed_value,
    c.suggested_value,
    c.suggested_truth,
    c.evidence,
    c.source_ids,
    c.first_detected,
    c.last_detected,
    case when p.person_id is not null then p.grid_code else c.grid_code end as grid_code,
    case when p.person_id is not null then p.community_code else c.community_code end as community_code,
    case when p.person_id is not null then p.street_code else c.street_code end as street_code,
    case when p.person_id is not null then p.district_code else c.district_code end as district_code,
    case when p.person_id is not null then 'register' else 'source' end as hierarchy_source,
    coalesce(d.status, 'open') as status,
    d.decided_by,
    d.decided_at,
    d.note as decision_note
from candidates as c
left join people as p on c.person_id = p.person_id
left join decisions as d on c.finding_id = d.finding_id and d.rn = 1
