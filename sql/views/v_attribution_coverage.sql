-- Share of AI cost attributed to a person, per day and per month (by cost, not by rows). Target ≥ 90 %;
-- usage-collect warns below ALERT_COVERAGE_WARNING_PCT. Unattributed cost is fct_cost_daily.user_email null.
create or replace view v_attribution_coverage as
with daily as (
  select
    'day' as period,
    cost_date as period_start,
    sum(cost_usd) as total_cost_usd,
    sum(if(user_email is null, 0, cost_usd)) as attributed_cost_usd,
  from fct_cost_daily
  group by cost_date
),

monthly as (
  select
    'month' as period,
    date(date_trunc(cost_date, month)) as period_start,
    sum(cost_usd) as total_cost_usd,
    sum(if(user_email is null, 0, cost_usd)) as attributed_cost_usd,
  from fct_cost_daily
  group by 2
),

unioned as (
  select * from daily
  union all
  select * from monthly
),

final as (
  select
    period,
    period_start,
    total_cost_usd,
    attributed_cost_usd,
    total_cost_usd - attributed_cost_usd as unattributed_cost_usd,
    round(safe_divide(cast(attributed_cost_usd as float64), cast(total_cost_usd as float64)) * 100, 2)
      as coverage_pct,
    90.0 as target_pct,
    safe_divide(cast(attributed_cost_usd as float64), cast(total_cost_usd as float64)) >= 0.9 as meets_target,
  from unioned
)

select * from final
