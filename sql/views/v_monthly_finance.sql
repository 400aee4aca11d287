-- Per month and platform: cost, change vs the previous month (like for like: a month still in progress is
-- compared with the same days of the previous month; none when the data does not cover the whole previous
-- month), people active on the platform and cost per active person.
create or replace view v_monthly_finance as
with costs as (
  select
    date(date_trunc(cost_date, month)) as month,
    platform,
    cost_date,
    cost_usd,
    user_email,
  from fct_cost_daily
),

last_day as (
  select
    min(cost_date) as first_cost_date,
    max(cost_date) as last_cost_date,
  from fct_cost_daily
),

monthly as (
  select
    month,
    platform,
    sum(cost_usd) as cost_usd,
    sum(if(user_email is null, 0, cost_usd)) as attributed_cost_usd,
    max(cost_date) as through_date,
  from costs
  group by month, platform
),

previous as (
  select
    m.month,
    m.platform,
    sum(c.cost_usd) as previous_cost_usd,
  from monthly as m
  cross join last_day as l
  join costs as c
    on c.platform = m.platform
    and c.month = date(date_sub(m.month, interval 1 month))
    and l.first_cost_date <= c.month
    and (
      date(date_trunc(l.last_cost_date, month)) != m.month
      or extract(day from c.cost_date) <= extract(day from l.last_cost_date)
    )
  group by m.month, m.platform
),

active as (
  select
    date(date_trunc(usage_date, month)) as month,
    platform,
    count(distinct user_email) as active_users,
  from fct_usage_daily
  where user_email is not null
  group by 1, 2
),

final as (
  select
    m.month,
    m.platform,
    m.cost_usd,
    m.attributed_cost_usd,
    p.previous_cost_usd,
    round((safe_divide(cast(m.cost_usd as float64), cast(p.previous_cost_usd as float64)) - 1) * 100, 2)
      as mom_change_pct,
    coalesce(a.active_users, 0) as active_users,
    round(safe_divide(cast(m.cost_usd as float64), a.active_users), 2) as cost_per_active_user_usd,
    m.month = date(date_trunc((select last_cost_date from last_day), month)) as is_month_to_date,
  from monthly as m
  left join previous as p using (month, platform)
  left join active as a using (month, platform)
)

select * from final
