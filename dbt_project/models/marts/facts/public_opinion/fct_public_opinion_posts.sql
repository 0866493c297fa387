{{ config(unique_key='post_id') }}

-- One row per monitored public-opinion post: platform, topic, sentiment and score, reach, the local
-- publication date, and the mentioned district / street mapped from their names to codes through the
-- current division names (the street within its district: street names repeat across districts).
-- No author: the hashed account stays in staging. Only new or changed rows are merged.
with posts as (
    select * from {{ ref('stg_public_opinion__posts') }}
),

districts as (
    select district_code, district_name from {{ ref('dim_district') }} where is_current
),

streets as (
    select street_code, street_name, district_code from {{ ref('dim_street') }} where is_current
),

final as (
    select
        p.post_id,
        p.platform,
        p.topic,
        p.sentiment,
        p.sentiment = '负面' as is_negative,
        p.sentiment_score,
        p.reach,
        p.district_name,
        d.district_code,
        p.street_name,
        s.street_code,
        p.published_at,
        p.published_date,
        p.collected_at
    from posts as p
    left join districts as d on d.district_name = trim(p.district_name)
    left join streets as s on s.street_name = trim(p.street_name) and s.district_code = d.district_code
)

{{ new_or_changed_rows('final', 'post_id') }}
