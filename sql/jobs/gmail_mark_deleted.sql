-- gmail-sync: flag messages Gmail reports deleted; rows are kept so history and embeddings stay auditable.
update gmail_messages
set
  is_deleted = true,
  deleted_at = @deleted_at,
  _run_id = @run_id
where mailbox = @mailbox
  and message_id in unnest(@message_ids)
  and not is_deleted
