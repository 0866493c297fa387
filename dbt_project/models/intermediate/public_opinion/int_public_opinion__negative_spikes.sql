-- Negative-sentiment spikes: the negative posts of each topic in each district on each day, against
-- the same series over the trailing `sentiment_spike_window_days` days before it. Grain:
-- published_date × district_code × topic, complete (days without negative posts count 0) over the
-- days the posts cover, the current districts and every topic seen. Posts whose district name maps
-- to no code are left out. The standard deviation is floored at `sentiment_spike_min_stddev` (a quiet
-- series has stddev 0: any post would be an infinite z); a day needs
-- `sentiment_spike_min_history_days` days of history before it can be a spike.
with posts as (
    select published_date, district_code, topic, is_negative
    from {{ ref('fct_public_opinion_posts') }}
),

days as (
    select explode(sequence(min(published_date), max(published_date), interval 1 day)) as published_date
    from posts
),

districts as (
    select district_code from {{ ref('dim_district') }} where is_current
),

topics as (
    select distinct topic from posts
),

negative as (
    select published_date, district_code, topic, count(*) as negative_posts
    from posts
    where is_negative and district_code is not null
    group by published_date, district_code, topic
),

series as (
    select
        d.published_date,
        di.district_code,
        t.topic,
        coalesce(n.negative_posts, 0) as negative_posts
    from days as d
    cross join districts as di
    cross join topics as t
    left join negative as n
        on n.published_date = d.published_date and n.district_code = di.district_code and n.topic = t.topic
),

trailing as (
    select
        *,
        count(*) over w as history_days,
        avg(negative_posts) over w as trailing_mean,
        stddev_samp(negative_posts) over w as trailing_stddev
    from series
    window w as (
        partition by district_code, topic order by published_date
        rows between {{ var('sentiment_spike_window_days') }} preceding and 1 preceding
    )
),

scored as (
    select
        *,
        case when history_days > 0 then
            (negative_posts - trailing_mean)
            / greatest(coalesce(trailing_stddev, 0), {{ var('sentiment_spike_min_stddev') }})
        end as z_score
    from trailing
)

select
    published_date,
    district_code,
    topic,
    negative_posts,
    history_days,
    round(trailing_mean, 4) as trailing_mean,
    round(trailing_stddev, 4) as trailing_stddev,
    round(z_score, 4) as z_score,
    coalesce(
        history_days >= {{ var('sentiment_spike_min_history_days') }}
        and z_score >= {{ var('sentiment_spike_z') }}
        and negative_posts >= {{ var('sentiment_spike_min_count') }},
        false
    ) as is_spike
from scored
