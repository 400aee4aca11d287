-- Gmail messages per mailbox
select
  mailbox,
  count(*) as messages,
  countif(body_source = 'text/html') as from_html,
  sum(attachment_count) as attachments,
  count(distinct thread_id) as threads,
  max(sent_at) as newest
from gmail_messages
where
  not is_deleted
group by
  mailbox
order by
  mailbox
