-- AI cost by platform: this month so far next to last month (USD), with growth
with evaluation as (
  select date(coalesce(max(evaluated_at), current_timestamp())) as as_of from alert_rules
),

months as (
  select
    as_of,
    date(date_trunc(as_of, month)) as this_month,
    date(date_sub(date_trunc(as_of, month), interval 1 month)) as last_month,
    date(date_sub(date_trunc(as_of, month), interval 2 month)) as month_before,
    date_diff(as_of, date(date_trunc(as_of, month)), day) as days_so_far,
  from evaluation
),

costs as (
  select platform, cost_date, cost_usd from fct_cost_daily
  union all
  select 'total', cost_date, cost_usd from fct_cost_daily
),

coverage as (
  select min(cost_date) as first_cost_date from fct_cost_daily
),

by_platform as (
  select
    c.platform,
    sum(if(c.cost_date >= m.this_month and c.cost_date < m.as_of, c.cost_usd, 0)) as this_month_usd,
    sum(if(c.cost_date >= m.last_month and c.cost_date < m.this_month, c.cost_usd, 0)) as last_month_usd,
    sum(if(
      c.cost_date >= m.last_month and c.cost_date < date_add(m.last_month, interval m.days_so_far day), c.cost_usd, 0
    )) as same_days_last_month_usd,
    sum(if(c.cost_date >= m.month_before and c.cost_date < m.last_month, c.cost_usd, 0)) as month_before_usd,
  from costs as c
  cross join months as m
  group by c.platform
),

final as (
  select
    b.platform,
    format_date('%Y-%m', m.last_month) as last_month,
    round(cast(b.last_month_usd as float64), 2) as last_month_usd,
    if(
      v.first_cost_date <= m.month_before,
      round((safe_divide(cast(b.last_month_usd as float64), cast(b.month_before_usd as float64)) - 1) * 100, 1),
      null
    ) as last_month_growth_pct,
    format_date('%Y-%m', m.this_month) as this_month,
    m.days_so_far as days,
    round(cast(b.this_month_usd as float64), 2) as this_month_usd,
    round(cast(b.same_days_last_month_usd as float64), 2) as same_days_last_month_usd,
    round((safe_divide(cast(b.this_month_usd as float64), cast(b.same_days_last_month_usd as float64)) - 1) * 100, 1)
      as growth_pct,
    if(b.platform = 'total', round(cast(p.projected_month_usd as float64), 2), null) as projected_this_month_usd,
  from by_platform as b
  cross join months as m
  cross join coverage as v
  left join v_month_end_projection as p on p.month = m.this_month
)

select * from final
order by platform = 'total', platform
