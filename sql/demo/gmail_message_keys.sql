-- Gmail messages and their participants by key (the resumable-sync demo compares two warehouses with it)
select
  m.mailbox,
  m.message_id,
  m.thread_id,
  m.subject,
  m.sent_at,
  m.is_deleted,
  count(p.email_address) as participants,
from gmail_messages as m
left join gmail_participants as p using (mailbox, message_id)
group by m.mailbox, m.message_id, m.thread_id, m.subject, m.sent_at, m.is_deleted
order by m.mailbox, m.message_id
