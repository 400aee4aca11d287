-- gmail-sync `purge`: remove the purged messages' rows from gmail_participants (see gmail_purge_select.sql).
delete from gmail_participants
where mailbox = @mailbox
  and message_id in unnest(@message_ids)
