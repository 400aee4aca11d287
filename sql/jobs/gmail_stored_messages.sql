-- gmail-sync: which ids of one listed page are already done, so a full sync fetches only the others (one lookup
-- per page of up to 500 ids): stored (and not flagged deleted), with their receipt time, or left out by the
-- privacy filter as it stands now (its key unchanged).
with stored as (
  select
    message_id,
    internal_at,
  from gmail_messages
  where mailbox = @mailbox
    and message_id in unnest(@message_ids)
    and not is_deleted
),

skipped as (
  select
    message_id,
    cast(null as timestamp) as internal_at,
  from gmail_skipped_messages
  where mailbox = @mailbox
    and message_id in unnest(@message_ids)
    and filter_key = @filter_key
),

final as (
  select * from stored
  union all
  select * from skipped
  where message_id not in (select message_id from stored)
)

select * from final
