-- 和谐城市 harmonious city: 12345 tickets and digital urban-management cases by hierarchy level ×
-- period × breakdown. Grain: hierarchy_level × node_code × period × period_start × breakdown ×
-- breakdown_value. Breakdowns: `all` (both families), `request_type`, `topic`, `channel` (tickets
-- only), `case_type`, `case_class` (urban cases only); measures of the family a breakdown does not
-- apply to are null. Tickets count on their local acceptance day, cases on their local report day
-- (cohorts: a day's tickets and how they were handled since).
with tickets as (
    select * from {{ ref('fct_hotline_tickets') }}
),

cases as (
    select * from {{ ref('fct_urban_cases') }}
),

request_types as (
    select request_type, request_type_en from {{ ref('hotline_request_types') }}
),

topics as (
    select topic, topic_en from {{ ref('hotline_topics') }}
),

ticket_rows as (
    select
        t.grid_code,
        t.community_code,
        t.street_code,
        t.district_code,
        t.accepted_date as event_date,
        b.breakdown,
        coalesce(b.breakdown_value, 'unknown') as breakdown_value,
        coalesce(b.breakdown_value_en, 'unknown') as breakdown_value_en,
        t.ticket_id,
        t.is_complaint,
        t.replied_at,
        t.replied_within_target,
        t.accept_to_reply_hours,
        t.is_resolved,
        t.satisfaction_score,
        t.is_repeat_complaint,
        cast(null as string) as case_id,
        cast(null as boolean) as is_closed,
        cast(null as double) as closure_hours
    from tickets as t
    lateral view inline(array(
        named_struct('breakdown', 'all', 'breakdown_value', 'all', 'breakdown_value_en', 'all'),
        named_struct('breakdown', 'request_type', 'breakdown_value', t.request_type,
                     'breakdown_value_en', t.request_type_en),
        named_struct('breakdown', 'topic', 'breakdown_value', t.topic, 'breakdown_value_en', t.topic_en),
        named_struct('breakdown', 'channel', 'breakdown_value', t.channel, 'breakdown_value_en',
            case t.channel when '电话' then 'phone' when '留言板' then 'message board'
                when '微邻里' then 'neighbourhood app' end)
    )) b
),

case_rows as (
    select
        c.grid_code,
        c.community_code,
        c.street_code,
        c.district_code,
        c.reported_date as event_date,
        b.breakdown,
        coalesce(b.breakdown_value, 'unknown') as breakdown_value,
        coalesce(b.breakdown_value_en, 'unknown') as breakdown_value_en,
        cast(null as string) as ticket_id,
        cast(null as boolean) as is_complaint,
        cast(null as timestamp) as replied_at,
        cast(null as boolean) as replied_within_target,
        cast(null as decimal(20, 2)) as accept_to_reply_hours,
        cast(null as boolean) as is_resolved,
        cast(null as int) as satisfaction_score,
        cast(null as boolean) as is_repeat_complaint,
        c.case_id,
        c.is_closed,
        cast(c.closure_hours as double) as closure_hours
    from cases as c
    lateral view inline(array(
        named_struct('breakdown', 'all', 'breakdown_value', 'all', 'breakdown_value_en', 'all'),
        named_struct('breakdown', 'case_type', 'breakdown_value', c.case_type, 'breakdown_value_en', c.case_type_en),
        named_struct('breakdown', 'case_class', 'breakdown_value', c.case_class,
                     'breakdown_value_en', c.case_class_en)
    )) b
),

events as (
    select e.*, p.period, p.period_start
    from (select * from ticket_rows union all select * from case_rows) as e
    {{ day_and_month('e.event_date') }}
),

rolled as (
    select
        {{ hierarchy_keys(['period', 'period_start', 'breakdown', 'breakdown_value', 'breakdown_value_en']) }},
        count(ticket_id) as tickets,
        count_if(is_complaint) as complaints,
        count(replied_at) as replied_tickets,
        count(replied_within_target) as reply_target_known_tickets,
        count_if(replied_within_target) as replied_within_target_tickets,
        avg(accept_to_reply_hours) as mean_accept_to_reply_hours,
        count_if(is_resolved) as resolved_tickets,
        count(satisfaction_score) as evaluated_tickets,
        avg(satisfaction_score) as mean_satisfaction_score,
        count_if(satisfaction_score >= 2) as satisfied_tickets,
        count_if(is_repeat_complaint) as repeat_complaints,
        count(case_id) as urban_cases,
        count_if(is_closed) as closed_urban_cases,
        percentile(closure_hours, 0.5) as median_closure_hours,
        avg(closure_hours) as mean_closure_hours
    from events
    group by {{ hierarchy_grouping_sets(['period', 'period_start', 'breakdown', 'breakdown_value', 'breakdown_value_en']) }}
),

nodes as (
    select hierarchy_level, node_code, node_name from {{ ref('dim_hierarchy_node') }}
),

final as (
    select
        r.hierarchy_level,
        r.node_code,
        n.node_name,
        r.period,
        r.period_start,
        case r.period when 'day' then r.period_start else last_day(r.period_start) end as period_end,
        r.breakdown,
        r.breakdown_value,
        r.breakdown_value_en,
        r.breakdown in ('all', 'request_type', 'topic', 'channel') as has_ticket_measures,
        r.breakdown in ('all', 'case_type', 'case_class') as has_case_measures,
        r.tickets,
        r.complaints,
        r.replied_tickets,
        r.reply_target_known_tickets,
        r.replied_within_target_tickets,
        round(r.replied_within_target_tickets / nullif(r.reply_target_known_tickets, 0), 4)
            as replied_within_target_share,
        round(r.mean_accept_to_reply_hours, 2) as mean_accept_to_reply_hours,
        r.resolved_tickets,
        round(r.resolved_tickets / nullif(r.tickets, 0), 4) as resolution_rate,
        r.evaluated_tickets,
        round(r.mean_satisfaction_score, 4) as mean_satisfaction_score,
        round(r.satisfied_tickets / nullif(r.evaluated_tickets, 0), 4) as satisfied_share,
        r.repeat_complaints,
        r.urban_cases,
        r.closed_urban_cases,
        round(r.closed_urban_cases / nullif(r.urban_cases, 0), 4) as closed_share,
        round(r.median_closure_hours, 2) as median_closure_hours,
        round(r.mean_closure_hours, 2) as mean_closure_hours
    from rolled as r
    left join nodes as n on n.hierarchy_level = r.hierarchy_level and n.node_code = r.node_code
    where r.node_code is not null
)

select
    hierarchy_level, node_code, node_name, period, period_start, period_end,
    breakdown, breakdown_value, breakdown_value_en,
    {%- for m in ['tickets', 'complaints', 'replied_tickets', 'reply_target_known_tickets',
                  'replied_within_target_tickets', 'replied_within_target_share', 'mean_accept_to_reply_hours',
                  'resolved_tickets', 'resolution_rate', 'evaluated_tickets', 'mean_satisfaction_score',
                  'satisfied_share', 'repeat_complaints'] %}
    case when has_ticket_measures then {{ m }} end as {{ m }},
    {%- endfor %}
    {%- for m in ['urban_cases', 'closed_urban_cases', 'closed_share', 'median_closure_hours',
                  'mean_closure_hours'] %}
    case when has_case_measures then {{ m }} end as {{ m }}{{ ',' if not loop.last }}
    {%- endfor %}
from final
