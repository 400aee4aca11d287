-- AI cost alerts
select
  severity,
  alert_type,
  subject,
  summary
from alerts
order by
  raised_at,
  alert_key
