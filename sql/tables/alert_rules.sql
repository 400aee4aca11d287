-- The alert thresholds in force (from usage-collect's settings) and when they were last evaluated;
-- v_cost_alerts evaluates its rules as of evaluated_at.
-- key: alert_type, severity
-- grain: one rule
create table if not exists alert_rules (
  alert_type string not null,
  severity string not null,
  threshold float64,
  window_days int64,                 -- daily_spike: days in the trailing median
  lookback_days int64,               -- daily_spike: recent days checked (late-settling data)
  evaluated_at timestamp,
  updated_at timestamp not null
)
options (description = 'AI cost alert rules and their last evaluation time');
