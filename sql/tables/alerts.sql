-- Cost alerts raised by usage-collect: each alert key is written once, when first seen (see v_cost_alerts).
-- key: alert_key
-- grain: one alert
create table if not exists alerts (
  alert_key string not null,         -- e.g. mom_increase:2026-05:critical, daily_spike:2026-05-03
  alert_type string not null,        -- mom_increase | projected_month | daily_spike | attribution_coverage | stale_source
  severity string not null,          -- warning | critical
  as_of_date date,                   -- last complete day the rule looked at
  subject string,                    -- the month, day or source concerned
  metric_value float64,
  threshold float64,
  summary string,
  raised_at timestamp not null,
  run_id string
)
partition by date(raised_at)
cluster by alert_type
options (description = 'AI cost alerts, one row per alert');
