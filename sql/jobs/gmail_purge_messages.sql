-- gmail-sync `purge`: remove the purged messages' rows from gmail_messages (see gmail_purge_select.sql).
delete from gmail_messages
where mailbox = @mailbox
  and message_id in unnest(@message_ids)
