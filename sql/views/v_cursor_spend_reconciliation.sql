-- Cursor's spend snapshot checked against the usage events, per billing cycle and member: the cycle-to-date
-- spendCents of the cycle's latest snapshot (raw_cursor_spend, whole cents) against the charged cents of the
-- member's events from the cycle's start to the moment of that snapshot (raw_cursor_usage_events), rounded to
-- whole cents. difference_cents = snapshot - events: 0 when the events account for the spend; events that arrive
-- late at the source, or usage-based events without a token cost (unpriced_events), show up here.
create or replace view v_cursor_spend_reconciliation as
with snapshots as (
  select
    cycle_start,
    snapshot_date,
    user_email,
    spend_cents,
    collected_at,
  from raw_cursor_spend
  where true
  qualify snapshot_date = max(snapshot_date) over (partition by cycle_start)
),

as_of as (
  select
    cycle_start,
    max(snapshot_date) as snapshot_date,
    max(collected_at) as snapshot_at,
  from snapshots
  group by cycle_start
),

events as (
  select
    a.cycle_start,
    e.user_email,
    sum(e.charged_cents) as events_cents,
    countif(e.charged_cents is null) as unpriced_events,
  from as_of as a
  join raw_cursor_usage_events as e
    on e.event_at >= a.cycle_start
    and e.event_at <= a.snapshot_at
  group by a.cycle_start, e.user_email
),

members as (
  select cycle_start, user_email from snapshots
  union distinct
  select cycle_start, user_email from events
),

final as (
  select
    m.cycle_start,
    a.snapshot_date,
    a.snapshot_at,
    m.user_email,
    coalesce(s.spend_cents, 0) as snapshot_cents,
    coalesce(e.events_cents, 0) as events_cents,
    coalesce(e.unpriced_events, 0) as unpriced_events,
    cast(coalesce(s.spend_cents, 0) as numeric) - round(coalesce(e.events_cents, 0), 0) as difference_cents,
  from members as m
  join as_of as a using (cycle_start)
  left join snapshots as s using (cycle_start, user_email)
  left join events as e using (cycle_start, user_email)
)

select * from final
