-- bench only (bench/scoring_naive.py): the naive loop's one query per account: its emails, calls, meetings and
-- tasks around @as_of and its open opportunities, one row each.
with emails as (
  select distinct m.mailbox, m.message_id, m.sent_at, m.from_email != m.mailbox as inbound
  from gmail_participants as p
  join gmail_messages as m on m.mailbox = p.mailbox and m.message_id = p.message_id
  where p.sf_account_id = @account_id
    and not coalesce(p.is_internal, false)
    and not m.is_deleted
    and m.sent_at < cast(@as_of as timestamp)
    and m.sent_at >= timestamp_sub(cast(@as_of as timestamp), interval 90 day)
)
select 'email' as kind, sent_at as occurred_at, inbound, cast(null as float64) as amount,
  cast(null as float64) as probability
from emails
union all
select 'call', call_time, direction = 'inbound', duration_seconds, cast(null as float64)
from dialpad_calls
where sf_account_id = @account_id
  and call_time < cast(@as_of as timestamp)
  and call_time >= timestamp_sub(cast(@as_of as timestamp), interval 90 day)
union all
select 'meeting', start_at, cast(null as bool), cast(null as float64), cast(null as float64)
from sf_events
where account_id = @account_id
  and not is_deleted
  and start_at >= timestamp_sub(cast(@as_of as timestamp), interval 30 day)
  and start_at < timestamp_add(cast(@as_of as timestamp), interval 30 day)
union all
select 'task', timestamp(activity_date), cast(null as bool), cast(null as float64), cast(null as float64)
from sf_tasks
where account_id = @account_id
  and not is_deleted
  and activity_date < date(cast(@as_of as timestamp))
  and activity_date >= date_sub(date(cast(@as_of as timestamp)), interval 30 day)
union all
select 'opportunity', timestamp(close_date), cast(null as bool), amount, probability
from sf_opportunities
where account_id = @account_id and not is_deleted and not is_closed
