-- gmail-sync `purge`: remove the purged messages' activity signals (they hold the subject and scored text).
delete from activity_signals
where kind = 'email'
  and mailbox = @mailbox
  and message_id in unnest(@message_ids)
