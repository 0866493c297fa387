-- One row per monitored post; places arrive as names (mapped to codes in intermediate).
select
    post_id,
    platform,
    topic,
    sentiment,
    sentiment_score,
    district_name,
    street_name,
    reach,
    author_hash,
    published_at,
    {{ local_date('published_at') }} as published_date,
    collected_at
from {{ source('public_opinion', 'posts') }}
