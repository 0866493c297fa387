-- One row per person known to the resident register (latest version), keyed by the ID token.
-- No direct identifiers: no name, ID number, mobile or address; birth date reduced to year and band.
-- Age is taken at the latest register snapshot (as_of_date).
with latest as (
    select
        *,
        row_number() over (partition by person_id order by valid_from desc) as rn,
        max(snapshot_date) over () as register_date
    from {{ ref('stg_civil_affairs__residents') }}
)

select
    person_id,
    sex,
    year(birth_date) as birth_year,
    {{ age_at('birth_date', 'register_date') }} as age,
    {{ age_band(age_at('birth_date', 'register_date')) }} as age_band,
    ethnicity,
    household_id,
    relation_to_head,
    registration_type,
    grid_code,
    community_code,
    street_code,
    district_code,
    coalesce(special_groups, '') like '%独居老人%' as is_elderly_living_alone,
    coalesce(special_groups, '') like '%空巢老人%' as is_empty_nest_elderly,
    coalesce(special_groups, '') like '%留守儿童%' as is_left_behind_child,
    coalesce(special_groups, '') like '%残疾人%' as is_disabled,
    coalesce(special_groups, '') like '%低保对象%' as is_subsistence_recipient,
    coalesce(special_groups, '') like '%严重精神障碍患者%' as is_severe_mental_disorder,
    coalesce(special_groups, '') like '%社区矫正对象%' as is_community_corrections,
    coalesce(is_party_member, false) as is_party_member,
    is_current as is_in_register,
    valid_from as version_from,
    register_date as as_of_date
from latest
where rn = 1
