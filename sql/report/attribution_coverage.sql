-- Share of AI cost attributed to a person per month against its target, the last 12 months (v_attribution_coverage)
with months as (
  select max(period_start) as latest_month from v_attribution_coverage where period = 'month'
),

final as (
  select
    c.period_start as month,
    cast(c.total_cost_usd as float64) as total_cost_usd,
    cast(c.unattributed_cost_usd as float64) as unattributed_cost_usd,
    c.coverage_pct,
    c.target_pct,
    c.meets_target,
  from v_attribution_coverage as c
  cross join months as m
  where c.period = 'month' and c.period_start >= date_sub(m.latest_month, interval 11 month)
)

select * from final
order by month
