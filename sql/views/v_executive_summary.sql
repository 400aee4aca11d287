-- One line per month for leadership: total AI cost and its split by platform, growth vs the previous month
-- (like for like while the month is in progress; none when the data does not cover the previous month), the
-- run rate (projected month and annualised), active people and the share of cost attributed to them.
create or replace view v_executive_summary as
with monthly as (
  select
    date(date_trunc(cost_date, month)) as month,
    sum(cost_usd) as total_cost_usd,
    sum(if(platform = 'anthropic_api', cost_usd, 0)) as anthropic_api_usd,
    sum(if(platform = 'claude_code', cost_usd, 0)) as claude_code_usd,
    sum(if(platform = 'cursor', cost_usd, 0)) as cursor_usd,
    sum(if(user_email is null, 0, cost_usd)) as attributed_cost_usd,
  from fct_cost_daily
  group by 1
),

growth as (
  select
    month,
    sum(cost_usd) as cost_usd,
    sum(previous_cost_usd) as previous_cost_usd,
  from v_monthly_finance
  group by month
),

people as (
  select
    date(date_trunc(usage_date, month)) as month,
    count(distinct user_email) as active_users,
  from fct_usage_daily
  where user_email is not null
  group by 1
),

final as (
  select
    m.month,
    m.total_cost_usd,
    m.anthropic_api_usd,
    m.claude_code_usd,
    m.cursor_usd,
    round((safe_divide(cast(g.cost_usd as float64), cast(g.previous_cost_usd as float64)) - 1) * 100, 2)
      as growth_pct,
    p.projected_month_usd as run_rate_month_usd,
    cast(p.projected_month_usd as float64) * 12 as run_rate_annual_usd,
    p.is_current_month,
    coalesce(u.active_users, 0) as active_users,
    round(safe_divide(cast(m.attributed_cost_usd as float64), cast(m.total_cost_usd as float64)) * 100, 2)
      as attributed_pct,
  from monthly as m
  left join growth as g using (month)
  left join v_month_end_projection as p using (month)
  left join people as u using (month)
)

select * from final
