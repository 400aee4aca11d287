-- AI cost per month and platform, the last 12 months (v_monthly_finance)
with months as (
  select max(month) as latest_month from v_monthly_finance
),

final as (
  select
    f.month,
    f.platform,
    cast(f.cost_usd as float64) as cost_usd,
    cast(f.attributed_cost_usd as float64) as attributed_cost_usd,
    cast(f.previous_cost_usd as float64) as previous_cost_usd,
    f.mom_change_pct,
    f.active_users,
    f.is_month_to_date,
  from v_monthly_finance as f
  cross join months as m
  where f.month >= date_sub(m.latest_month, interval 11 month)
)

select * from final
order by month, platform
