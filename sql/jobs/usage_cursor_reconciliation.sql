-- The latest Cursor billing cycle's spend snapshot against its usage events, in total (logged by every run).
select
  cycle_start,
  snapshot_date,
  sum(snapshot_cents) as snapshot_cents,
  sum(events_cents) as events_cents,
  sum(difference_cents) as difference_cents,
  countif(difference_cents != 0) as members_off,
  sum(unpriced_events) as unpriced_events,
from v_cursor_spend_reconciliation
group by cycle_start, snapshot_date
order by cycle_start desc
limit 1
