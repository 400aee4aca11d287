-- gmail-sync `purge`: remove the purged messages' rows from gmail_attachments (see gmail_purge_select.sql).
delete from gmail_attachments
where mailbox = @mailbox
  and message_id in unnest(@message_ids)
