-- The reporting periods of the themes: every day the data cover, and every month of them (a month
-- ends on the last day the data cover in it, so the current month is "month to date").
-- Grain: period × period_start.
select 'day' as period, date_day as period_start, date_day as period_end
from {{ ref('dim_date') }}

union all

select 'month' as period, month_start as period_start, max(date_day) as period_end
from {{ ref('dim_date') }}
group by month_start
