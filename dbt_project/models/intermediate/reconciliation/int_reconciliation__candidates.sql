-- Cross-department disagreements about the same person (主动发现 candidates, before steward
-- decisions). Grain: one row per finding = finding_type × person × the differing values:
--   dead_but_active     卫健 death registration vs a current 民政 register entry in a snapshot on or
--                       after the death date (the snapshot of day D is taken at the end of day D)
--   paid_after_death    卫健 death registration vs 民政 assistance paid after the death date
--   community_mismatch  公安 incident person's community vs the 民政 register version of that day
--   mobile_mismatch     公安 incident person's mobile token vs the 民政 register version of that day
-- finding_id = sha2(type | person | differing values): stable across reruns and appended data.
with register as (
    select
        person_id, mobile_token, grid_code, community_code, street_code, district_code,
        valid_from, valid_to, is_current
    from {{ ref('stg_civil_affairs__residents') }}
    where person_id is not null
),

register_as_of as (
    -- the latest register snapshot the data holds (a version opens or closes on a snapshot day)
    select max(greatest(valid_from, coalesce(valid_to, valid_from))) as register_date
    from register
),

deaths as (
    select
        person_id,
        min(death_date) as death_date,
        min_by(event_id, concat(cast(death_date as string), event_id)) as death_event_id,
        min(event_date) as registered_date
    from {{ ref('stg_health__events') }}
    where event_type = '死亡登记' and person_id is not null and death_date is not null
    group by person_id
),

present_after_death as (
    -- the first register version still open on or after the death date
    select d.person_id, min(v.valid_from) as present_since
    from deaths as d
    inner join register as v
        on d.person_id = v.person_id and (v.valid_to is null or v.valid_to > d.death_date)
    group by d.person_id
),

dead_but_active as (
    select
        d.person_id,
        d.death_date,
        d.death_event_id,
        d.registered_date,
        r.valid_from,
        r.grid_code,
        r.community_code,
        r.street_code,
        r.district_code,
        a.register_date,
        s.present_since
    from deaths as d
    inner join register as r on d.person_id = r.person_id and r.is_current
    cross join register_as_of as a
    left join present_after_death as s on d.person_id = s.person_id
    where a.register_date >= d.death_date
),

payments as (
    select payment_id, person_id, pay_date, assistance_type, community_code, street_code, district_code
    from {{ ref('stg_civil_affairs__assistance_payments') }}
    where person_id is not null and pay_date is not null
),

paid_after_death as (
    select
        d.person_id,
        d.death_date,
        d.death_event_id,
        d.registered_date,
        array_sort(collect_set(p.payment_id)) as payment_ids,
        array_sort(collect_set(p.assistance_type)) as assistance_types,
        min(p.pay_date) as first_pay_date,
        max(p.pay_date) as last_pay_date,
        max_by(p.community_code, concat(cast(p.pay_date as string), p.payment_id)) as community_code,
        max_by(p.street_code, concat(cast(p.pay_date as string), p.payment_id)) as street_code,
        max_by(p.district_code, concat(cast(p.pay_date as string), p.payment_id)) as district_code
    from deaths as d
    inner join payments as p on d.person_id = p.person_id and p.pay_date > d.death_date
    group by d.person_id, d.death_date, d.death_event_id, d.registered_date
),

police_seen as (
    -- each incident person against the register version valid on the incident's local day
    select distinct
        i.person_id,
        i.incident_id,
        i.reported_date,
        i.community_code as police_community_code,
        i.mobile_token as police_mobile_token,
        r.community_code as civil_community_code,
        r.mobile_token as civil_mobile_token,
        r.grid_code,
        r.street_code,
        r.district_code,
        r.valid_from
    from {{ ref('stg_police__incident_persons') }} as i
    inner join register as r
        on i.person_id = r.person_id
        and i.reported_date >= r.valid_from
        and (r.valid_to is null or i.reported_date < r.valid_to)
    where i.person_id is not null and i.reported_date is not null
),

{#- the evidence of a police-vs-register disagreement: its incidents, first and last day, the place of
    the latest incident (grid … district, the register's community) -#}
{%- set police_evidence %}
        array_sort(collect_set(incident_id)) as incident_ids,
        min(reported_date) as first_date,
        max(reported_date) as last_date,
        {%- for c in ['grid_code', 'civil_community_code', 'street_code', 'district_code'] %}
        max_by({{ c }}, concat(cast(reported_date as string), incident_id))
            as {{ 'community_code' if c == 'civil_community_code' else c }},
        {%- endfor %}
        max(valid_from) as register_valid_from
{%- endset %}

community_mismatch as (
    select
        person_id,
        police_community_code,
        civil_community_code,
        {{ police_evidence }}
    from police_seen
    where police_community_code is not null and civil_community_code is not null
      and police_community_code <> civil_community_code
    group by person_id, police_community_code, civil_community_code
),

mobile_mismatch as (
    select
        person_id,
        police_mobile_token,
        civil_mobile_token,
        {{ police_evidence }}
    from police_seen
    where police_mobile_token is not null and civil_mobile_token is not null
      and police_mobile_token <> civil_mobile_token
    group by person_id, police_mobile_token, civil_mobile_token
),

findings as (
    select
        'dead_but_active' as finding_type,
        person_id,
        '民政' as owning_department,
        '卫健' as evidence_department,
        cast(death_date as string) as differing_value,
        'in_register' as observed_value,
        concat('deceased ', cast(death_date as string)) as suggested_value,
        '以卫健死亡登记为准，注销实有人口登记 / the health death registration prevails: close the register entry'
            as suggested_truth,
        to_json(named_struct(
            'death_event_id', death_event_id,
            'death_date', cast(death_date as string),
            'death_registered_date', cast(registered_date as string),
            'register_is_current', true,
            'register_valid_from', cast(valid_from as string),
            'register_date', cast(register_date as string),
            'register_community_code', community_code
        )) as evidence,
        array(death_event_id) as source_ids,
        greatest(death_date, registered_date, coalesce(present_since, valid_from)) as first_detected,
        register_date as last_detected,
        grid_code,
        community_code,
        street_code,
        district_code
    from dead_but_active

    union all

    select
        'paid_after_death',
        person_id,
        '民政',
        '卫健',
        cast(death_date as string),
        concat('paid until ', cast(last_pay_date as string)),
        concat('deceased ', cast(death_date as string)),
        '以卫健死亡登记为准，停发并追回死亡后发放的救助金 / the health death registration prevails: stop and recover payments after death',
        to_json(named_struct(
            'death_event_id', death_event_id,
            'death_date', cast(death_date as string),
            'payment_ids', payment_ids,
            'assistance_types', assistance_types,
            'first_pay_date', cast(first_pay_date as string),
            'last_pay_date', cast(last_pay_date as string)
        )),
        concat(array(death_event_id), payment_ids),
        greatest(first_pay_date, registered_date),
        last_pay_date,
        cast(null as string),
        community_code,
        street_code,
        district_code
    from paid_after_death

    union all

    select
        'community_mismatch',
        person_id,
        '公安',
        '民政',
        concat(police_community_code, '|', civil_community_code),
        police_community_code,
        civil_community_code,
        '以民政实有人口登记的社区为准，公安核实更正 / the civil register community prevails: police to verify and correct',
        to_json(named_struct(
            'police_community_code', police_community_code,
            'civil_community_code', civil_community_code,
            'incident_ids', incident_ids,
            'register_valid_from', cast(register_valid_from as string)
        )),
        incident_ids,
        first_date,
        last_date,
        grid_code,
        civil_community_code,
        street_code,
        district_code
    from community_mismatch

    union all

    select
        'mobile_mismatch',
        person_id,
        '公安',
        '民政',
        concat(police_mobile_token, '|', civil_mobile_token),
        police_mobile_token,
        civil_mobile_token,
        '以民政实有人口登记的联系电话为准，公安核实更正 / the civil register mobile prevails: police to verify and correct',
        to_json(named_struct(
            'police_mobile_token', police_mobile_token,
            'civil_mobile_token', civil_mobile_token,
            'incident_ids', incident_ids,
            'register_valid_from', cast(register_valid_from as string)
        )),
        incident_ids,
        first_date,
        last_date,
        grid_code,
        community_code,
        street_code,
        district_code
    from mobile_mismatch
)

select
    sha2(concat_ws('|', finding_type, person_id, differing_value), 256) as finding_id,
    finding_type,
    person_id,
    owning_department,
    evidence_department,
    observed_value,
    suggested_value,
    suggested_truth,
    evidence,
    source_ids,
    first_detected,
    last_detected,
    grid_code,
    community_code,
    street_code,
    district_code
from findings
