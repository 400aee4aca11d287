-- Write each alert candidate of v_cost_alerts whose key is new, once. A warning is not raised for a subject
-- that already has a critical alert of the same type (the cost came down from critical to warning level).
-- @cost_rules false (a source failed in this run, so the cost tables lack some of its days): only stale_source
-- candidates are written; a cost alert written once from incomplete costs would never be corrected.
merge into alerts as t
using (
  select c.*
  from v_cost_alerts as c
  where (@cost_rules or c.alert_type = 'stale_source') and not (
    c.severity = 'warning'
    and exists (
      select 1
      from alerts as a
      where a.alert_type = c.alert_type and a.subject = c.subject and a.severity = 'critical'
    )
  )
) as s
on t.alert_key = s.alert_key
when not matched then insert (
  alert_key, alert_type, severity, as_of_date, subject, metric_value, threshold, summary, raised_at, run_id
) values (
  s.alert_key, s.alert_type, s.severity, s.as_of_date, s.subject, s.metric_value, s.threshold, s.summary, @now,
  @run_id
)
