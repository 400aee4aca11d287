-- Ledger: runs of a function whose latest state is still `running` past their deadline: stopped before they
-- could close (timeout, out of memory, instance crash). The next run of the function records them abandoned.
select run_id, started_at, deadline_at,
from (
  select
    run_id,
    status,
    started_at,
    deadline_at,
    row_number() over (partition by run_id order by recorded_at desc) as recency,
  from etl_run_log
  where function_name = @function_name
)
where recency = 1
  and status = 'running'
  and deadline_at < @now
  and run_id != @run_id
