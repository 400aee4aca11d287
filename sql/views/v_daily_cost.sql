-- AI cost per day, every day from the first day with cost to the last complete day with cost (days before
-- the latest alert evaluation, or before today): total and attributed cost, month-to-date sums, the month-to-date
-- of the same day last month, and a run-rate projection of the month. Days without cost count as zero.
-- Projection: month-to-date + mean daily cost × days left; margin = 1.645 · σ · √(r + r²/n) (a ~90 % normal
-- interval over r days left with the mean estimated from n observed days; weekly seasonality ignored).
create or replace view v_daily_cost as
with evaluation as (
  select coalesce(date(max(evaluated_at)), current_date()) as evaluation_date from alert_rules
),

daily as (
  select
    cost_date,
    sum(cost_usd) as cost_usd,
    sum(if(user_email is null, 0, cost_usd)) as attributed_cost_usd,
  from fct_cost_daily
  where cost_date < (select evaluation_date from evaluation)
  group by cost_date
),

bounds as (
  select
    min(cost_date) as first_date,
    max(cost_date) as last_date,
  from daily
),

spine as (
  select cost_date
  from bounds
  cross join unnest(generate_date_array(first_date, last_date)) as cost_date
),

filled as (
  select
    s.cost_date,
    date(date_trunc(s.cost_date, month)) as month,
    coalesce(d.cost_usd, 0) as cost_usd,
    coalesce(d.attributed_cost_usd, 0) as attributed_cost_usd,
  from spine as s
  left join daily as d using (cost_date)
),

running as (
  select
    *,
    sum(cost_usd) over (partition by month order by cost_date) as mtd_cost_usd,
    sum(attributed_cost_usd) over (partition by month order by cost_date) as mtd_attributed_cost_usd,
    count(*) over (partition by month order by cost_date) as days_observed,
    stddev_samp(cast(cost_usd as float64)) over (partition by month order by cost_date) as daily_stddev_usd,
  from filled
),

compared as (
  select
    r.*,
    extract(day from r.cost_date) as day_of_month,
    extract(day from last_day(r.cost_date)) as days_in_month,
    p.mtd_cost_usd as previous_mtd_cost_usd,
    (select first_date from bounds) <= date(date_trunc(date_sub(r.cost_date, interval 1 month), month))
      as previous_month_covered,
  from running as r
  left join running as p on p.cost_date = date(date_sub(r.cost_date, interval 1 month))
),

final as (
  select
    cost_date,
    month,
    cost_usd,
    attributed_cost_usd,
    mtd_cost_usd,
    mtd_attributed_cost_usd,
    round(safe_divide(cast(mtd_attributed_cost_usd as float64), cast(mtd_cost_usd as float64)) * 100, 2)
      as mtd_coverage_pct,
    day_of_month,
    days_in_month,
    days_observed,
    previous_mtd_cost_usd,
    if(
      previous_month_covered and previous_mtd_cost_usd > 0,
      round((safe_divide(cast(mtd_cost_usd as float64), cast(previous_mtd_cost_usd as float64)) - 1) * 100, 2),
      null
    ) as mom_change_pct,
    if(
      day_of_month = days_in_month,
      mtd_cost_usd,
      cast(round(mtd_cost_usd + safe_divide(mtd_cost_usd, days_observed) * (days_in_month - day_of_month), 2)
        as numeric)
    ) as projected_month_usd,
    round(
      1.645 * coalesce(daily_stddev_usd, 0)
      * sqrt((days_in_month - day_of_month) + pow(days_in_month - day_of_month, 2) / days_observed), 2
    ) as projection_margin_usd,
  from compared
)

select * from final
