-- gmail-sync: which ids of one listed page are already stored (and not flagged deleted), with their receipt
-- time, so a full sync fetches only the others (one lookup per page of up to 500 ids).
with stored as (
  select
    message_id,
    internal_at,
  from gmail_messages
  where mailbox = @mailbox
    and message_id in unnest(@message_ids)
    and not is_deleted
),

final as (
  select * from stored
)

select * from final
