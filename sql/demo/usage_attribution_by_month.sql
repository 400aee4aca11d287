-- AI cost attributed to people
select
  period_start as month,
  round(total_cost_usd, 2) as total,
  round(unattributed_cost_usd, 2) as unattributed,
  coverage_pct
from v_attribution_coverage
where
  period = 'month'
order by
  period_start
