-- Save a cursor or checkpoint (append-only; sync_state shows the latest per job and scope). Saving the value
-- it already holds writes nothing, so updated_at keeps saying when the cursor last moved and a rerun that
-- moves nothing changes nothing.
insert into sync_state_log (job, scope, cursor_value, updated_at, run_id)
select cast(@job as string), cast(@scope as string), cast(@cursor_value as string), cast(@updated_at as timestamp),
  cast(@run_id as string)
from unnest([1])
where not exists (
  select 1
  from sync_state
  where job = @job and scope = @scope and cursor_value is not distinct from @cursor_value
)
