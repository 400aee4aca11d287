-- Who spends what: per month, person, team and platform, the cost and its share of the platform's and of the
-- whole month's cost. Unattributed cost appears with user_email (and team) null.
create or replace view v_cost_allocation as
with costs as (
  select
    date(date_trunc(c.cost_date, month)) as month,
    c.user_email,
    u.team,
    c.platform,
    sum(c.cost_usd) as cost_usd,
  from fct_cost_daily as c
  left join dim_users as u using (user_email)
  group by 1, 2, 3, 4
),

final as (
  select
    month,
    user_email,
    team,
    platform,
    cost_usd,
    round(safe_divide(cast(cost_usd as float64), cast(sum(cost_usd) over (partition by month, platform) as float64))
      * 100, 2) as share_of_platform_pct,
    round(safe_divide(cast(cost_usd as float64), cast(sum(cost_usd) over (partition by month) as float64)) * 100, 2)
      as share_of_month_pct,
  from costs
)

select * from final
