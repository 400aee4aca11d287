-- Recorded calls whose transcript an earlier run could not fetch or that was not ready yet, oldest first.
with pending as (
  select
    call_id,
    call_time,
    connected_at,
    ended_at,
  from dialpad_calls
  where was_recorded
    and has_transcript is null
),

final as (
  select * from pending
)

select * from final
order by call_time
limit @max_calls
