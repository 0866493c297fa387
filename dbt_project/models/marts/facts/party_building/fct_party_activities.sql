{{ config(unique_key='activity_id') }}

-- One row per party organisational-life activity (组织生活): branch, community / street / district
-- codes, activity type, date and participants. Only new or changed rows are merged.
with activities as (
    select * from {{ ref('stg_party_building__activities') }}
),

final as (
    select
        activity_id,
        branch_code,
        community_code,
        street_code,
        district_code,
        activity_type,
        case activity_type
            when '三会一课' then 'three meetings and one lesson'
            when '主题党日' then 'themed party day'
            when '志愿服务' then 'volunteer service'
            when '党员教育' then 'member education'
            when '联系群众' then 'outreach to residents'
        end as activity_type_en,
        activity_date,
        participants
    from activities
)

{{ new_or_changed_rows('final', 'activity_id') }}
