{#- Episodes of events that reach a count threshold inside a sliding window (early-warning rules).

    ``events`` is a CTE/relation with the columns in ``partition_by`` (the subject: person, caller,
    topic …), ``event_id``, ``event_date``, ``window_days`` and ``threshold`` (joined from the rule
    seed), plus the ``carry`` columns (taken from the latest event of each episode).

    Semantics (windows come from event dates, never the clock):
      * an event *qualifies* when the window that starts on its date, [event_date, event_date +
        window_days - 1], holds at least ``threshold`` distinct events of the same subject;
      * an event is *covered* when it lies inside the window of a qualifying event;
      * covered events closer than ``window_days`` to the previous covered event form one episode;
        its first event is the anchor (stable when data is appended in time order).

    Result: one row per subject × episode with anchor_event_id, event_ids (sorted array),
    event_count, first_seen, last_seen and the carry columns.
-#}
{% macro window_episodes(events, partition_by, carry=[]) -%}
{%- set part = partition_by | join(', ') -%}
{%- set join_on = [] -%}
{%- for c in partition_by %}{% do join_on.append('a.' ~ c ~ ' = b.' ~ c) %}{% endfor -%}
_we_counts as (
    select
        {% for c in partition_by %}a.{{ c }}, {% endfor %}
        a.event_id,
        count(distinct b.event_id) as events_in_window
    from {{ events }} as a
    inner join {{ events }} as b
        on {{ join_on | join(' and ') }}
        and b.event_date >= a.event_date
        and b.event_date <= date_add(a.event_date, cast(a.window_days - 1 as int))
    group by {% for c in partition_by %}a.{{ c }}, {% endfor %}a.event_id
),

_we_flagged as (
    select
        e.*,
        c.events_in_window >= e.threshold as is_qualifying
    from {{ events }} as e
    inner join _we_counts as c
        on {% for col in partition_by %}e.{{ col }} = c.{{ col }} and {% endfor %}e.event_id = c.event_id
),

_we_covered as (
    select
        *,
        max(case when is_qualifying then event_date end) over (
            partition by {{ part }} order by event_date, event_id
            rows between unbounded preceding and current row
        ) as last_qualifying_date
    from _we_flagged
),

_we_chained as (
    select
        *,
        lag(event_date) over (partition by {{ part }} order by event_date, event_id) as previous_covered_date
    from _we_covered
    where last_qualifying_date is not null
      and datediff(event_date, last_qualifying_date) <= window_days - 1
),

_we_numbered as (
    select
        *,
        sum(case
            when previous_covered_date is null or datediff(event_date, previous_covered_date) >= window_days then 1
            else 0
        end) over (
            partition by {{ part }} order by event_date, event_id
            rows between unbounded preceding and current row
        ) as episode_no
    from _we_chained
),

_we_episodes as (
    select
        {{ part }},
        min_by(event_id, concat(cast(event_date as string), event_id)) as anchor_event_id,
        array_sort(collect_set(event_id)) as event_ids,
        count(distinct event_id) as event_count,
        min(event_date) as first_seen,
        max(event_date) as last_seen
        {%- for c in carry %},
        max_by({{ c }}, concat(cast(event_date as string), event_id)) as {{ c }}
        {%- endfor %}
    from _we_numbered
    group by {{ part }}, episode_no
)
{%- endmacro %}
