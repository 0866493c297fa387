-- 矛盾纠纷 conflicts and disputes at every level of the hierarchy, by day and by month: new, open at
-- the period end, closed and resolved disputes; escalation rate and median days at a level (level
-- stays that ended in the period); median dwell days of disputes closed in the period; the share of
-- the period's new disputes resolved within 30 days; repeat disputes between the same parties.
-- Breakdowns: 'all', 'dispute_type' and 'level' (a dispute's level at the period end; a stay's level).
-- Grain: hierarchy_level × node_code × period × period_start × breakdown × breakdown_value.
with periods as (
    select * from {{ ref('int_periods') }}
),

coverage as (
    select max(date_day) as last_day from {{ ref('dim_date') }}
),

disputes as (
    select * from {{ ref('fct_disputes') }}
),

escalations as (
    select * from {{ ref('fct_dispute_escalations') }}
),

start_levels as (
    select dispute_id, from_level as start_level from escalations where step_seq = 1
),

-- every dispute registered by the end of each period
dispute_periods as (
    select
        d.*,
        coalesce(s.start_level, d.current_level) as start_level,
        p.period,
        p.period_start,
        p.period_end,
        count(*) over (partition by p.period, p.period_start, d.party_pair_key) as pair_disputes_to_date
    from disputes as d
    inner join periods as p on d.reported_date <= p.period_end
    left join start_levels as s on s.dispute_id = d.dispute_id
),

levels_reached as (
    select dp.dispute_id, dp.period, dp.period_start, max(e.to_level) as level_reached
    from dispute_periods as dp
    inner join escalations as e on e.dispute_id = dp.dispute_id and e.escalated_date <= dp.period_end
    group by dp.dispute_id, dp.period, dp.period_start
),

dispute_rows as (
    select
        'dispute' as row_kind,
        dp.period,
        dp.period_start,
        dp.period_end,
        dp.grid_code,
        dp.community_code,
        dp.street_code,
        dp.district_code,
        dp.dispute_type,
        coalesce(lr.level_reached, dp.start_level) as level,
        dp.party_pair_key,
        dp.reported_date between dp.period_start and dp.period_end as is_new,
        not (dp.is_closed and dp.closed_date <= dp.period_end) as is_open_at_end,
        dp.is_closed and dp.closed_date between dp.period_start and dp.period_end as is_closed_in_period,
        dp.is_resolved and dp.closed_date between dp.period_start and dp.period_end as is_resolved_in_period,
        dp.is_resolved_within_30d,
        dp.dwell_days,
        dp.party_pair_key is not null and dp.pair_disputes_to_date >= 2 as is_repeat_pair,
        cast(null as boolean) as is_escalated_out,
        cast(null as double) as stay_days
    from dispute_periods as dp
    left join levels_reached as lr
        on lr.dispute_id = dp.dispute_id and lr.period = dp.period and lr.period_start = dp.period_start
),

-- one stay per level a dispute reached: entered at registration or escalation, left by the next
-- escalation or by closing (open stays have not ended and count nowhere)
stay_steps as (
    select d.dispute_id, 0 as step_seq, coalesce(s.start_level, d.current_level) as level, d.reported_at as entered_at
    from disputes as d
    left join start_levels as s on s.dispute_id = d.dispute_id
    union all
    select dispute_id, step_seq, to_level as level, escalated_at as entered_at
    from escalations
),

stays as (
    select
        st.dispute_id,
        st.level,
        st.entered_at,
        lead(st.entered_at) over (partition by st.dispute_id order by st.step_seq) as next_entered_at
    from stay_steps as st
),

ended_stays as (
    select
        d.grid_code,
        d.community_code,
        d.street_code,
        d.district_code,
        d.dispute_type,
        s.level,
        s.next_entered_at is not null as is_escalated_out,
        coalesce(s.next_entered_at, case when d.is_closed then d.closed_at end) as left_at,
        s.entered_at
    from stays as s
    inner join disputes as d on d.dispute_id = s.dispute_id
),

stay_rows as (
    select
        'stay' as row_kind,
        p.period,
        p.period_start,
        p.period_end,
        es.grid_code,
        es.community_code,
        es.street_code,
        es.district_code,
        es.dispute_type,
        es.level,
        cast(null as string) as party_pair_key,
        false as is_new,
        false as is_open_at_end,
        false as is_closed_in_period,
        false as is_resolved_in_period,
        false as is_resolved_within_30d,
        cast(null as double) as dwell_days,
        false as is_repeat_pair,
        es.is_escalated_out,
        round((unix_timestamp(es.left_at) - unix_timestamp(es.entered_at)) / 86400.0, 2) as stay_days
    from ended_stays as es
    inner join periods as p
        on {{ local_date('es.left_at') }} between p.period_start and p.period_end
    where es.left_at is not null
),

all_rows as (
    select * from dispute_rows
    union all
    select * from stay_rows
),

exploded as (
    select a.*, b.breakdown, b.breakdown_value
    from all_rows as a
    lateral view explode(array(
        named_struct('breakdown', 'all', 'breakdown_value', 'all'),
        named_struct('breakdown', 'dispute_type', 'breakdown_value', a.dispute_type),
        named_struct('breakdown', 'level', 'breakdown_value', cast(a.level as string))
    )) x as b
),

rolled as (
    select
        {{ hierarchy_keys(['period', 'period_start', 'period_end', 'breakdown', 'breakdown_value']) }},
        count_if(row_kind = 'dispute' and is_new) as new_disputes,
        count_if(row_kind = 'dispute' and is_open_at_end) as open_disputes,
        count_if(row_kind = 'dispute' and is_closed_in_period) as closed_disputes,
        count_if(row_kind = 'dispute' and is_resolved_in_period) as resolved_disputes,
        percentile(case when row_kind = 'dispute' and is_closed_in_period then dwell_days end, 0.5)
            as median_dwell_days,
        count_if(row_kind = 'dispute' and is_new and is_resolved_within_30d) as new_resolved_within_30d,
        count_if(row_kind = 'stay') as level_stays_ended,
        count_if(row_kind = 'stay' and is_escalated_out) as level_stays_escalated,
        percentile(case when row_kind = 'stay' then stay_days end, 0.5) as median_level_stay_days,
        count_if(row_kind = 'dispute' and is_new and is_repeat_pair) as repeat_disputes,
        count(distinct case when row_kind = 'dispute' and is_new and is_repeat_pair then party_pair_key end)
            as repeat_pairs
    from exploded
    group by {{ hierarchy_grouping_sets(['period', 'period_start', 'period_end', 'breakdown', 'breakdown_value']) }}
)

select
    r.hierarchy_level,
    r.node_code,
    h.node_name,
    r.period,
    r.period_start,
    r.period_end,
    r.breakdown,
    r.breakdown_value,
    case r.breakdown
        when 'all' then '全部'
        when 'dispute_type' then t.dispute_type_zh
        when 'level' then l.level_zh
    end as breakdown_label_zh,
    case r.breakdown
        when 'all' then 'all'
        when 'dispute_type' then t.dispute_type_en
        when 'level' then l.level_en
    end as breakdown_label_en,
    r.new_disputes,
    r.open_disputes,
    r.closed_disputes,
    r.resolved_disputes,
    round(r.median_dwell_days, 2) as median_dwell_days,
    r.level_stays_ended,
    r.level_stays_escalated,
    round(r.level_stays_escalated * 1.0 / nullif(r.level_stays_ended, 0), 4) as escalation_rate,
    round(r.median_level_stay_days, 2) as median_level_stay_days,
    r.new_resolved_within_30d,
    round(r.new_resolved_within_30d * 1.0 / nullif(r.new_disputes, 0), 4) as resolved_within_30d_share,
    date_add(r.period_end, 30) <= cov.last_day as is_30d_window_complete,
    r.repeat_disputes,
    r.repeat_pairs
from rolled as r
cross join coverage as cov
left join {{ ref('dim_hierarchy_node') }} as h
    on h.hierarchy_level = r.hierarchy_level and h.node_code = r.node_code
left join {{ ref('dispute_types') }} as t
    on r.breakdown = 'dispute_type' and t.dispute_type = r.breakdown_value
left join {{ ref('dispute_levels') }} as l
    on r.breakdown = 'level' and cast(l.level as string) = r.breakdown_value
where r.node_code is not null
    and r.new_disputes + r.open_disputes + r.closed_disputes + r.level_stays_ended > 0
