{{ config(unique_key='case_id') }}

-- One row per digital urban-management case (latest version): type, class and subclass with English
-- labels, place codes, status, lifecycle times, the hours of each step from the report, and closure.
-- Address and reporter stay out. Only new or changed rows are merged (macro new_or_changed_rows).
with cases as (
    select * from {{ ref('stg_urban__cases') }}
),

classes as (
    select * from {{ ref('urban_case_classes') }}
),

final as (
    select
        c.case_id,
        c.case_source,
        c.case_type,
        ct.class_en as case_type_en,
        c.case_class,
        cc.class_en as case_class_en,
        c.case_subclass,
        cs.class_en as case_subclass_en,
        c.status,
        c.status = '结案' as is_closed,
        c.grid_code,
        c.community_code,
        c.street_code,
        c.district_code,
        c.handling_unit,
        c.reported_at,
        c.reported_date,
        c.verified_at,
        c.dispatched_at,
        c.handled_at,
        c.checked_at,
        c.closed_at,
        {{ local_date('c.closed_at') }} as closed_date,
        {{ hours_between('c.reported_at', 'c.verified_at') }} as report_to_verify_hours,
        {{ hours_between('c.reported_at', 'c.dispatched_at') }} as report_to_dispatch_hours,
        {{ hours_between('c.reported_at', 'c.handled_at') }} as report_to_handled_hours,
        {{ hours_between('c.reported_at', 'c.closed_at') }} as closure_hours,
        c.updated_at
    from cases as c
    left join classes as ct on ct.class_level = 'case_type' and ct.class_zh = c.case_type
    left join classes as cc on cc.class_level = 'case_class' and cc.class_zh = c.case_class
    left join classes as cs on cs.class_level = 'case_subclass' and cs.class_zh = c.case_subclass
)

{{ new_or_changed_rows('final', 'case_id') }}
