-- The alerts a run raised (to log each once).
select
  alert_key,
  alert_type,
  severity,
  as_of_date,
  subject,
  metric_value,
  threshold,
  summary,
from alerts
where run_id = @run_id
order by alert_key
