-- Stored fingerprint and transcript state of a batch of listed calls, so unchanged calls are skipped.
with calls as (
  select
    call_id,
    source_hash,
    has_transcript,
  from dialpad_calls
  where call_id in unnest(@call_ids)
),

final as (
  select * from calls
)

select * from final
