-- AI cost per team in the latest month with cost and the month before (v_cost_allocation; unattributed apart)
with months as (
  select max(month) as latest_month from v_cost_allocation
),

final as (
  select
    a.month,
    coalesce(a.team, if(a.user_email is null, 'unattributed', 'no team')) as team,
    cast(sum(a.cost_usd) as float64) as cost_usd,
    sum(a.share_of_month_pct) as share_of_month_pct,
    count(distinct a.user_email) as people,
  from v_cost_allocation as a
  cross join months as m
  where a.month >= date_sub(m.latest_month, interval 1 month)
  group by 1, 2
)

select * from final
order by month, cost_usd desc, team
