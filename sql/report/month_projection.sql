-- This month's AI cost projection with its 90 % interval, beside the month before (v_month_end_projection)
with months as (
  select
    *,
    row_number() over (order by month desc) as recency,
  from v_month_end_projection
),

final as (
  select
    c.month,
    c.as_of_date,
    c.days_observed,
    c.day_of_month,
    c.days_in_month,
    cast(c.mtd_cost_usd as float64) as mtd_cost_usd,
    cast(c.projected_month_usd as float64) as projected_month_usd,
    c.projected_low_usd,
    c.projected_high_usd,
    c.daily_run_rate_usd,
    c.is_partial_data,
    p.month as previous_month,
    cast(p.mtd_cost_usd as float64) as previous_month_usd,
    p.is_partial_data as previous_is_partial,
  from months as c
  left join months as p on p.recency = 2
  where c.recency = 1
)

select * from final
