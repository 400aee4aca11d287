-- Run-rate forecast of each month as of its last complete day with cost: the current month's row is the live
-- forecast, past months' rows show where they ended (margin 0 once the month is complete).
-- Interval: projected ± 1.645 · σ · √(r + r²/n), never below what is already spent (see v_daily_cost).
create or replace view v_month_end_projection as
with latest_day as (
  select *
  from v_daily_cost
  where true
  qualify row_number() over (partition by month order by cost_date desc) = 1
),

final as (
  select
    month,
    cost_date as as_of_date,
    days_observed,
    day_of_month,
    days_in_month,
    mtd_cost_usd,
    projected_month_usd,
    greatest(cast(mtd_cost_usd as float64), cast(projected_month_usd as float64) - projection_margin_usd)
      as projected_low_usd,
    cast(projected_month_usd as float64) + projection_margin_usd as projected_high_usd,
    round(safe_divide(cast(mtd_cost_usd as float64), days_observed), 2) as daily_run_rate_usd,
    days_observed < day_of_month as is_partial_data,
    month = (select max(month) from v_daily_cost) as is_current_month,
    'month-to-date + mean daily cost x days left; 90% interval 1.645*sd*sqrt(r + r^2/n)' as method,
  from latest_day
)

select * from final
