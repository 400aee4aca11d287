-- Open cost alerts: what the alert rules see as of the latest evaluation (v_cost_alerts), and when each was raised
select
  c.alert_key,
  c.severity,
  c.alert_type,
  c.as_of_date,
  c.subject,
  c.metric_value,
  c.threshold,
  c.summary,
  a.raised_at,
from v_cost_alerts as c
left join alerts as a using (alert_key)
order by if(c.severity = 'critical', 0, 1), c.alert_type, c.subject
