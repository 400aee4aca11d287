-- AI cost this month (USD)
select
  month,
  round(total_cost_usd, 2) as total,
  round(anthropic_api_usd, 2) as anthropic_api,
  round(claude_code_usd, 2) as claude_code,
  round(cursor_usd, 2) as cursor,
  growth_pct,
  round(run_rate_month_usd, 2) as projected_month,
  attributed_pct
from v_executive_summary
where
  is_current_month
