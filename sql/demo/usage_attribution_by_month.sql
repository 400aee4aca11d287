-- AI cost attributed to people
select
  period_start as month,
  round(cast(total_cost_usd as float64), 2) as total,
  round(cast(unattributed_cost_usd as float64), 2) as unattributed,
  coverage_pct
from v_attribution_coverage
where
  period = 'month'
order by
  period_start
